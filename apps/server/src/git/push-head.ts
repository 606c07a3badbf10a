import type { IncomingMessage } from 'node:http';
import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parseReceivePackCommands, type ReceivePackHead } from './pkt-line.ts';

export type PushHead =
  | { ok: true; head: ReceivePackHead; /** The whole request body, as received (read bytes first). */ body: Readable }
  | { ok: false; reason: string };

/**
 * Reads a push's command section off the request before anything reaches git, so the refs can
 * be checked first. The bytes read are kept and replayed, untouched (still gzip'd if they were),
 * ahead of the rest of the body. Stops at `maxBytes` without a complete command section.
 */
export function readPushHead(req: IncomingMessage, o: { gzip: boolean; maxBytes: number; signal: AbortSignal }): Promise<PushHead> {
  return new Promise((resolve) => {
    const raw: Buffer[] = [];
    let rawBytes = 0;
    let plain = Buffer.alloc(0);
    let ended = false;
    let settled = false;
    const inflater = o.gzip ? createGunzip() : null;

    const settle = (r: PushHead) => {
      if (settled) return;
      settled = true;
      req.off('data', onData).off('end', onEnd).off('error', onError);
      o.signal.removeEventListener('abort', onAbort);
      req.pause();
      inflater?.removeAllListeners().on('error', () => undefined).destroy();
      resolve(r);
    };
    const replay = (): Readable => {
      const body = new PassThrough();
      for (const c of raw) body.write(c);
      if (ended) body.end();
      else req.pipe(body);
      return body;
    };
    const check = (final: boolean) => {
      const head = parseReceivePackCommands(plain);
      if (head.malformed) settle({ ok: false, reason: `not a git push: ${head.malformed}` });
      else if (head.complete) settle({ ok: true, head, body: replay() });
      else if (plain.length > o.maxBytes || rawBytes > o.maxBytes) settle({ ok: false, reason: `the ref updates of a push must fit in ${o.maxBytes} bytes` });
      else if (final) settle({ ok: false, reason: 'the push ended before its ref updates did' });
    };
    const onData = (c: Buffer) => {
      raw.push(c);
      rawBytes += c.length;
      if (inflater) {
        inflater.write(c);
        if (rawBytes > o.maxBytes) check(false);
      } else {
        plain = Buffer.concat([plain, c]);
        check(false);
      }
    };
    const onEnd = () => {
      ended = true;
      if (inflater) inflater.end();
      else check(true);
    };
    const onError = () => settle({ ok: false, reason: 'the request failed while its ref updates were read' });
    const onAbort = () => settle({ ok: false, reason: 'the request was cut off' });

    inflater?.on('data', (d: Buffer) => {
      plain = Buffer.concat([plain, d]);
      check(false);
    });
    inflater?.on('end', () => check(true));
    inflater?.on('error', () => settle({ ok: false, reason: 'the gzip body does not inflate' }));
    if (o.signal.aborted) return onAbort();
    o.signal.addEventListener('abort', onAbort, { once: true });
    req.on('data', onData).on('end', onEnd).on('error', onError);
  });
}
