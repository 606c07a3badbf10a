import { describe, expect, it } from 'vitest';
import { parseCgiHead } from './cgi.ts';
import { FLUSH_PKT, parseReceivePackCommands, pktLine } from './pkt-line.ts';

describe('parseCgiHead', () => {
  it('reads Status and headers, CRLF or LF, and waits for the blank line', () => {
    expect(parseCgiHead(Buffer.from('Status: 404 Not Found\r\nContent-Type: text/plain'))).toBeNull();
    const crlf = Buffer.from('Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope');
    expect(parseCgiHead(crlf)).toEqual({ status: 404, headers: [['Content-Type', 'text/plain']], bodyOffset: crlf.length - 4 });
    const lf = Buffer.from('Expires: Fri, 01 Jan 1980 00:00:00 GMT\nContent-Type: application/x-git-upload-pack-result\n\nPACK');
    expect(parseCgiHead(lf)).toMatchObject({ status: 200, headers: [['Expires', 'Fri, 01 Jan 1980 00:00:00 GMT'], ['Content-Type', 'application/x-git-upload-pack-result']] });
  });
});

describe('parseReceivePackCommands', () => {
  const a = 'a'.repeat(40);
  const b = 'b'.repeat(40);
  const z = '0'.repeat(40);
  it('reads the commands up to the flush-pkt, capabilities and shallow lines aside', () => {
    const body = Buffer.concat([
      pktLine(`shallow ${a}\n`),
      pktLine(`${a} ${b} refs/heads/main\0report-status side-band-64k agent=git/2.39.5\n`),
      pktLine(`${z} ${b} refs/heads/module/x\n`),
      pktLine(`${b} ${z} refs/heads/old\n`),
      FLUSH_PKT,
      Buffer.from('PACK\0\0\0\x02'),
    ]);
    expect(parseReceivePackCommands(body)).toEqual({
      complete: true,
      capabilities: ['report-status', 'side-band-64k', 'agent=git/2.39.5'],
      updates: [
        { before: a, after: b, ref: 'refs/heads/main' },
        { before: z, after: b, ref: 'refs/heads/module/x' },
        { before: b, after: z, ref: 'refs/heads/old' },
      ],
    });
  });

  it('says when it needs more bytes', () => {
    const line = pktLine(`${a} ${b} refs/heads/main\n`);
    expect(parseReceivePackCommands(line.subarray(0, 20))).toEqual({ updates: [], capabilities: [], complete: false });
    expect(parseReceivePackCommands(line)).toEqual({ updates: [{ before: a, after: b, ref: 'refs/heads/main' }], capabilities: [], complete: false });
  });

  it('reads upper-case hex as receive-pack does, so such a command is checked like any other', () => {
    const body = Buffer.concat([pktLine(`${a.toUpperCase()} ${b.toUpperCase()} refs/heads/main\0report-status\n`), FLUSH_PKT]);
    expect(parseReceivePackCommands(body).updates).toEqual([{ before: a, after: b, ref: 'refs/heads/main' }]);
  });

  it('calls anything but commands and shallow lines malformed: nothing it skipped could reach receive-pack', () => {
    const cases = [
      Buffer.from('zzzz'),
      Buffer.concat([pktLine(`${a} ${b} refs/heads/x\n`), Buffer.from('0001')]),
      Buffer.concat([pktLine(`${a} ${b} refs/heads/x\n`), pktLine(`${a}  ${b} refs/heads/main\n`), FLUSH_PKT]),
      Buffer.concat([pktLine(`${a} ${b} refs/heads/ma in\n`), FLUSH_PKT]),
      Buffer.concat([pktLine('push-cert\0report-status\n'), FLUSH_PKT]),
      Buffer.concat([pktLine(`${a} ${b} refs/heads/x\n`), pktLine(`shallow ${a}\n`), FLUSH_PKT]),
    ];
    for (const body of cases) expect(parseReceivePackCommands(body).malformed, body.toString('latin1')).toBeTruthy();
  });
});
