import { describe, expect, it } from 'vitest';
import { pushRefusalReport } from './push-refusal.ts';

/** The receive-pack status report Slipway answers a refused push with (its framing, byte for byte). */

const updates = [
  { ref: 'refs/heads/main', before: 'a'.repeat(40), after: 'b'.repeat(40) },
  { ref: 'refs/heads/fix', before: '0'.repeat(40), after: 'b'.repeat(40) },
];
const refused = [{ ref: 'refs/heads/main', reason: "'main' is the base branch: only admins may push to it" }];

describe('pushRefusalReport', () => {
  it('without side-band: unpack ok, one ng line per command, flush', () => {
    expect(pushRefusalReport(updates, refused, ['report-status'])?.toString()).toBe(
      '000eunpack ok\n' +
        "004dng refs/heads/main 'main' is the base branch: only admins may push to it\n" +
        '0069ng refs/heads/fix not pushed: refs/heads/main was refused, and a push is applied whole or not at all\n' +
        '0000',
    );
  });

  it('with side-band-64k: the reasons on channel 2 (remote: …), the report on channel 1, then flush', () => {
    const out = pushRefusalReport(updates, refused, ['report-status-v2', 'side-band-64k'])!;
    const plain = pushRefusalReport(updates, refused, ['report-status'])!;
    const message = "Slipway refused refs/heads/main: 'main' is the base branch: only admins may push to it\n";
    const band2 = Buffer.concat([Buffer.from((message.length + 5).toString(16).padStart(4, '0')), Buffer.from([2]), Buffer.from(message)]);
    const band1 = Buffer.concat([Buffer.from((plain.length + 5).toString(16).padStart(4, '0')), Buffer.from([1]), plain]);
    expect(out.equals(Buffer.concat([band2, band1, Buffer.from('0000')]))).toBe(true);
  });

  it('splits a long report into side-band packets of at most 1000 bytes for plain side-band', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ ref: `refs/heads/branch-${i}`, before: 'a'.repeat(40), after: 'b'.repeat(40) }));
    const out = pushRefusalReport(many, [{ ref: 'refs/heads/branch-0', reason: 'no' }], ['report-status', 'side-band'])!;
    let at = 0;
    let packets = 0;
    while (at < out.length) {
      const len = Number.parseInt(out.toString('latin1', at, at + 4), 16);
      if (len === 0) break;
      expect(len).toBeLessThanOrEqual(1000);
      at += len;
      packets++;
    }
    expect(at).toBe(out.length - 4);
    expect(packets).toBeGreaterThan(2);
  });

  it('null when the client asked for no report (the route answers 403 then)', () => {
    expect(pushRefusalReport(updates, refused, ['side-band-64k'])).toBeNull();
  });
});
