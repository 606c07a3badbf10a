import type { Headers } from './signature.ts';

/**
 * What is kept of a delivery, in `webhook_deliveries` and in the log. Pure.
 *
 * A signed delivery comes from CI: its headers (less credentials) and body are kept for debugging.
 * One without a valid signature may come from anyone: only a few short headers, its size and the
 * reason are kept, so unauthenticated input costs a bounded, small record (docs/security.md).
 */

const HIDDEN_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
/** The headers kept of a delivery without a valid signature: enough to tell a misconfigured CI apart. */
const UNSIGNED_HEADERS = ['content-type', 'content-length', 'user-agent', 'webhook-id', 'webhook-timestamp'] as const;
const MAX_UNSIGNED_HEADER_CHARS = 200;
export const MAX_RECORDED_BODY_BYTES = 64 * 1024;
export const MAX_ERROR_CHARS = 500;

/**
 * Text as every database stores it: PostgreSQL refuses U+0000 in text (SQLite keeps it), so NUL
 * becomes U+FFFD on both; cut to `max` characters.
 */
export function storable(text: string, max = Infinity): string {
  const cut = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return cut.includes('\u0000') ? cut.replaceAll('\u0000', '\uFFFD') : cut;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Every header of a signed delivery but credentials. */
export function signedHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HIDDEN_HEADERS.has(k)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** A fixed handful of headers of a delivery without a valid signature, each cut short. */
export function unsignedHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of UNSIGNED_HEADERS) {
    const v = headerValue(h[k]);
    if (v !== undefined) out[k] = storable(v, MAX_UNSIGNED_HEADER_CHARS);
  }
  return out;
}

/** A signed body as stored: at most MAX_RECORDED_BODY_BYTES, NUL-free. */
export function signedBodyText(raw: Buffer): string {
  return storable(raw.subarray(0, MAX_RECORDED_BODY_BYTES).toString('utf8'));
}

/** The error column: `<code>: <message>`, bounded and NUL-free. */
export function errorText(error: string, message: string): string {
  return storable(`${error}: ${message}`, MAX_ERROR_CHARS);
}
