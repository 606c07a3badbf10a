import type { RefUpdate } from './push-events.ts';

/** The command section of a push, as far as it has been read. */
export interface ReceivePackHead {
  updates: RefUpdate[];
  /** Capabilities the client asked for (after the NUL of a command line, normally the first). */
  capabilities: string[];
  /** The flush-pkt that ends the commands has been seen. */
  complete: boolean;
  /**
   * Why these bytes are not a command section git would accept as such. Set, the push must be
   * refused: a line this parser skipped could be one receive-pack reads as a command.
   */
  malformed?: string;
}

/**
 * The ref-update commands at the start of a `git-receive-pack` request (pack protocol:
 * pkt-lines `<old> <new> <ref>[\0<capabilities>]`, ended by a flush-pkt, the pack after it).
 * Pure: fed the first bytes of the request body (uncompressed); `complete` once the flush-pkt
 * has been seen, so the caller can stop collecting. Strict: anything but a command or a
 * `shallow` line is `malformed`, so what is checked is what receive-pack will apply.
 */
export function parseReceivePackCommands(buf: Buffer): ReceivePackHead {
  const updates: RefUpdate[] = [];
  let capabilities: string[] = [];
  let at = 0;
  const head = (extra: Partial<ReceivePackHead>): ReceivePackHead => ({ updates, capabilities, complete: false, ...extra });
  while (at + 4 <= buf.length) {
    const lenText = buf.toString('latin1', at, at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(lenText)) return head({ malformed: 'not a pkt-line' });
    const len = Number.parseInt(lenText, 16);
    if (len === 0) return head({ complete: true }); // flush-pkt: commands end
    if (len < 4) return head({ malformed: `unexpected special packet ${lenText}` });
    if (at + len > buf.length) break;
    let line = buf.toString('latin1', at + 4, at + len);
    at += len;
    const nul = line.indexOf('\0');
    if (nul >= 0) {
      // receive-pack reads capabilities after a NUL on any line.
      capabilities = [...new Set([...capabilities, ...line.slice(nul + 1).replace(/\n$/, '').split(' ').filter(Boolean)])];
      line = line.slice(0, nul);
    }
    line = line.replace(/\n$/, '');
    // `shallow <sha>` lines precede the commands of a push from a shallow clone.
    if (updates.length === 0 && /^shallow [0-9a-fA-F]{40}([0-9a-fA-F]{24})?$/.test(line)) continue;
    // receive-pack reads hex in either case; refs are compared as given (git refuses odd names itself).
    const m = /^([0-9a-fA-F]{40}|[0-9a-fA-F]{64}) ([0-9a-fA-F]{40}|[0-9a-fA-F]{64}) ([^\s]+)$/.exec(line);
    if (!m) return head({ malformed: 'a line of the command section is not a ref update' });
    updates.push({ before: (m[1] ?? '').toLowerCase(), after: (m[2] ?? '').toLowerCase(), ref: Buffer.from(m[3] ?? '', 'latin1').toString('utf8') });
  }
  return head({});
}

/** pkt-line framing of one line, for tests and clients. */
export function pktLine(s: string | Buffer): Buffer {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  return Buffer.concat([Buffer.from((b.length + 4).toString(16).padStart(4, '0')), b]);
}
export const FLUSH_PKT = Buffer.from('0000');
