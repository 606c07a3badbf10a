import { FLUSH_PKT, pktLine } from './pkt-line.ts';
import type { RefUpdate } from './push-events.ts';

/**
 * The answer to a push Slipway refuses before git sees it, in receive-pack's own words so the git
 * CLI shows each reason (`! [remote rejected] main -> main (<reason>)`, and `remote: …` lines):
 * git prints nothing of the body of an HTTP error on a push's POST. Pure.
 *
 * A push is all or nothing here: when one update is refused, none is applied, and the others say why.
 * Null when the client did not ask for a status report (no git client does that): answer 403 then.
 */
export function pushRefusalReport(updates: readonly RefUpdate[], refused: readonly { ref: string; reason: string }[], capabilities: readonly string[]): Buffer | null {
  if (!capabilities.includes('report-status') && !capabilities.includes('report-status-v2')) return null;
  const why = new Map(refused.map((r) => [r.ref, r.reason]));
  const first = refused[0]?.ref ?? '';
  const report = Buffer.concat([
    pktLine('unpack ok\n'),
    ...updates.map((u) => pktLine(`ng ${u.ref} ${oneLine(why.get(u.ref) ?? `not pushed: ${first} was refused, and a push is applied whole or not at all`)}\n`)),
    FLUSH_PKT,
  ]);
  const band = capabilities.includes('side-band-64k') ? 65520 : capabilities.includes('side-band') ? 1000 : 0;
  if (!band) return report;
  const message = refused.map((r) => `Slipway refused ${r.ref}: ${oneLine(r.reason)}\n`).join('');
  return Buffer.concat([...sideband(2, Buffer.from(message), band), ...sideband(1, report, band), FLUSH_PKT]);
}

/** `data` as pkt-lines of one side-band channel, each at most `max` bytes long. */
function sideband(channel: 1 | 2, data: Buffer, max: number): Buffer[] {
  const out: Buffer[] = [];
  const room = max - 5; // 4 length bytes and the channel byte
  for (let at = 0; at < data.length; at += room) out.push(pktLine(Buffer.concat([Buffer.from([channel]), data.subarray(at, at + room)])));
  return out;
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');
