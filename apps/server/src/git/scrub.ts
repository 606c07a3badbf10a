/**
 * Removes credentials from text before it reaches a log line or an error message. Known secrets
 * are replaced wherever they appear (raw, URL-encoded, inside a Basic header); on top of that,
 * anything shaped like a credential is masked, so a token we were never told about (one typed
 * into a remote URL, one a server echoes back) does not leak either.
 */
const MASK = '***';

const GENERIC: readonly RegExp[] = [
  // userinfo in a URL: https://user:token@host, https://token@host
  /(?<=[a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi,
  // HTTP authorization values, as git prints them with GIT_TRACE_CURL or in config dumps
  /(?<=\b(?:authorization|proxy-authorization)\s*:\s*)\S[^\r\n]*/gi,
  /(?<=\b(?:basic|bearer|token)\s+)[A-Za-z0-9+/=._~-]{8,}/gi,
  // well-known token shapes: GitHub, GitLab, Slipway personal access tokens
  /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|glpat-[A-Za-z0-9_-]{20,}|slp_[A-Za-z0-9_-]{20,})\b/g,
];

export type Scrub = (text: string) => string;

export function makeScrubber(secrets: readonly (string | undefined)[] = []): Scrub {
  const forms = new Set<string>();
  for (const s of secrets) {
    // Very short "secrets" would mask ordinary words; real tokens are long.
    if (!s || s.length < 6) continue;
    forms.add(s);
    forms.add(encodeURIComponent(s));
    for (const user of ['x-access-token', 'oauth2', 'git', 'token', '']) forms.add(Buffer.from(`${user}:${s}`).toString('base64'));
  }
  // Longest first, so a secret that contains another is masked whole.
  const known = [...forms].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const f of known) out = out.split(f).join(MASK);
    for (const re of GENERIC) out = out.replace(re, (m) => (m.endsWith('@') ? `${MASK}@` : MASK));
    return out;
  };
}
