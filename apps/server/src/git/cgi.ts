/**
 * CGI response head parsing (RFC 3875 §6): header lines up to a blank line, `Status: 404 Not
 * Found` for the code. Pure; fed the first bytes `git http-backend` writes.
 */
export interface CgiHead {
  status: number;
  headers: [string, string][];
  /** Where the body starts in the buffer that was parsed. */
  bodyOffset: number;
}

/** The head, or null while the blank line has not arrived yet. */
export function parseCgiHead(buf: Buffer): CgiHead | null {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  let end: number;
  let sep: number;
  if (crlf >= 0 && (lf < 0 || crlf < lf)) [end, sep] = [crlf, 4];
  else if (lf >= 0) [end, sep] = [lf, 2];
  else return null;
  let status = 200;
  const headers: [string, string][] = [];
  for (const line of buf.subarray(0, end).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
    else headers.push([name, value]);
  }
  return { status, headers, bodyOffset: end + sep };
}
