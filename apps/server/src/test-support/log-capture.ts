import { Writable } from 'node:stream';

/** Collects what a logger writes to `stream`, line by line, in `lines` (a partial last line waits for its end). */
export function captureLog(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  let rest = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      const parts = (rest + String(chunk)).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts);
      done();
    },
  });
  return { stream, lines };
}
