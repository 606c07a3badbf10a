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
      updates: [
        { before: a, after: b, ref: 'refs/heads/main' },
        { before: z, after: b, ref: 'refs/heads/module/x' },
        { before: b, after: z, ref: 'refs/heads/old' },
      ],
    });
  });

  it('says when it needs more bytes', () => {
    const line = pktLine(`${a} ${b} refs/heads/main\n`);
    expect(parseReceivePackCommands(line.subarray(0, 20))).toEqual({ updates: [], complete: false });
    expect(parseReceivePackCommands(line)).toEqual({ updates: [{ before: a, after: b, ref: 'refs/heads/main' }], complete: false });
  });
});
