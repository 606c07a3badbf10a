/**
 * Reading an upgrade's request target. Pure and total: any string (bad percent-escapes,
 * absolute-form targets, nonsense) gives an answer, never a throw, because a throw in an
 * `upgrade` listener is not caught by Node and would stop the process.
 */

const APP_PATH = /^\/app\/([^/?]+)\/?$/;

export type UpgradeTarget =
  /** `/app/{key}`: ours. */
  | { kind: 'app'; key: string; protocol: string | null }
  /** Readable, but some other path: not ours. */
  | { kind: 'other' }
  /** Unreadable: the request is malformed, for us and anyone else (400). */
  | { kind: 'invalid'; message: string };

export function parseUpgradeTarget(target: string | undefined): UpgradeTarget {
  let url: URL;
  try {
    // Origin-form (`/app/k?protocol=7`) resolves against the base; absolute-form
    // (`http://host/app/k`, which servers must accept too) keeps its own host.
    url = new URL(target ?? '/', 'http://localhost');
  } catch {
    return { kind: 'invalid', message: 'Malformed request target' };
  }
  const match = APP_PATH.exec(url.pathname);
  if (!match) return { kind: 'other' };
  let key: string;
  try {
    key = decodeURIComponent(match[1]!);
  } catch {
    return { kind: 'invalid', message: 'Malformed percent-encoding in the app key' };
  }
  return { kind: 'app', key, protocol: url.searchParams.get('protocol') };
}
