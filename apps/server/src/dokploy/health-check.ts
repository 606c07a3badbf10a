import type { ApplicationConfig } from '../config/app-file.schema.ts';
import type { FetchLike } from './dokploy.client.ts';

/**
 * The target's public URL: the application's `publicUrl` with `{slug}` (the module) and `{branch}`
 * (made URL-safe the way image tags are: `module/products` → `module-products`) filled in.
 */
export function publicUrlOf(app: ApplicationConfig, d: { moduleSlug: string | null; branch: string | null }): string | undefined {
  if (!app.publicUrl) return undefined;
  const branch = (d.branch ?? '').replace(/[^A-Za-z0-9._-]/g, '-');
  const url = app.publicUrl.replaceAll('{slug}', d.moduleSlug ?? '').replaceAll('{branch}', branch);
  try {
    return new URL(url).toString();
  } catch {
    return undefined;
  }
}

/** Where the health check goes: `healthPath` on the public URL, when both are configured. */
export function healthUrlOf(app: ApplicationConfig, d: { moduleSlug: string | null; branch: string | null }): string | undefined {
  const base = publicUrlOf(app, d);
  if (!base || !app.healthPath) return undefined;
  return new URL(app.healthPath, base).toString();
}

export type HealthResult = { ok: true; status: number } | { ok: false; reason: string };

/** One bounded try: healthy when the URL answers 2xx (after redirects) within `timeoutMs`. */
export async function checkHealthOnce(url: string, timeoutMs: number, fetchFn: FetchLike = fetch): Promise<HealthResult> {
  try {
    const res = await fetchFn(url, { method: 'GET', signal: AbortSignal.timeout(timeoutMs), headers: { accept: '*/*' } });
    await res.body?.cancel().catch(() => undefined);
    return res.ok ? { ok: true, status: res.status } : { ok: false, reason: `HTTP ${res.status}` };
  } catch (err) {
    const e = err as { name?: string; cause?: { code?: string }; message?: string };
    if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return { ok: false, reason: `no answer within ${timeoutMs} ms` };
    return { ok: false, reason: e?.cause?.code ?? e?.message ?? String(err) };
  }
}
