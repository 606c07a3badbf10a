/**
 * Where a channel may send (SSRF basics, docs/notifications.md): http or https only (for every
 * kind: tests and operators' own sinks speak http), no credentials in the URL, no fragments. A receiver on a private address is
 * allowed (an operator's own sink is often one): only signed-in users create channels, and a
 * member's deliveries show only the status and a short error, never the answer's body.
 */
export function destinationProblem(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return 'must be an http or https URL';
  if (u.username || u.password) return 'must not carry a user name or password';
  if (u.hash) return 'must not have a fragment';
  return undefined;
}

/** A URL without what may be secret (its path and query): `https://hooks.slack.com/…`. */
export function urlHint(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname === '/' && !u.search ? '/' : '/…'}`;
  } catch {
    return '(invalid URL)';
  }
}
