/**
 * Where a channel may send (SSRF basics, docs/notifications.md): http or https only (Slack and
 * Discord: https), no credentials in the URL, no fragments. A receiver on a private address is
 * allowed (an operator's own sink is often one): only signed-in users create channels, and a
 * member's deliveries show only the status and a short error, never the answer's body.
 */
export function destinationProblem(raw: string, o: { httpsOnly?: boolean; hosts?: readonly string[] } = {}): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'is not a URL';
  }
  if (u.protocol !== 'https:' && (o.httpsOnly || u.protocol !== 'http:')) return o.httpsOnly ? 'must be an https URL' : 'must be an http or https URL';
  if (u.username || u.password) return 'must not carry a user name or password';
  if (u.hash) return 'must not have a fragment';
  if (o.hosts && !o.hosts.includes(u.hostname.toLowerCase())) return `must be on ${o.hosts.join(' or ')}`;
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
