import type { RefUpdate } from './push-events.ts';

/**
 * The ref-update commands at the start of a `git-receive-pack` request (pack protocol:
 * pkt-lines `<old> <new> <ref>[\0<capabilities>]`, ended by a flush-pkt, the pack after it).
 * Pure: fed the first bytes of the request body (uncompressed); `complete` once the flush-pkt
 * has been seen, so the caller can stop collecting.
 */
export function parseReceivePackCommands(buf: Buffer): { updates: RefUpdate[]; complete: boolean } {
  const updates: RefUpdate[] = [];
  let at = 0;
  while (at + 4 <= buf.length) {
    const len = Number.parseInt(buf.toString('latin1', at, at + 4), 16);
    if (Number.isNaN(len)) return { updates, complete: true }; // not pkt-lines: nothing more to read
    if (len === 0) return { updates, complete: true }; // flush-pkt: commands end
    if (len < 4 || at + len > buf.length) break;
    let line = buf.toString('utf8', at + 4, at + len);
    at += len;
    const nul = line.indexOf('\0');
    if (nul >= 0) line = line.slice(0, nul);
    const m = /^([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) (\S+)\n?$/.exec(line);
    // `shallow <sha>` lines precede the commands of a push from a shallow clone.
    if (m) updates.push({ before: m[1] ?? '', after: m[2] ?? '', ref: m[3] ?? '' });
  }
  return { updates, complete: false };
}

/** pkt-line framing of one line, for tests and clients. */
export function pktLine(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([Buffer.from((b.length + 4).toString(16).padStart(4, '0')), b]);
}
export const FLUSH_PKT = Buffer.from('0000');
