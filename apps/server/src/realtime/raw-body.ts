import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The exact bytes received, kept for `body_md5` (a WeakMap: no type augmentation of Fastify to clash with). */
const rawBodies = new WeakMap<FastifyRequest, Buffer>();

export const rawBodyOf = (req: FastifyRequest): Buffer | undefined => rawBodies.get(req);

/** A JSON parser for this scope only (Fastify encapsulates parsers) that also keeps the raw bytes. */
export function keepRawJson(scope: FastifyInstance, bodyLimit: number): void {
  if (scope.hasContentTypeParser('application/json')) scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (req, body, done) => {
    const bytes = body as Buffer;
    rawBodies.set(req, bytes);
    if (bytes.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(bytes.toString('utf8')));
    } catch {
      done(Object.assign(new Error('Malformed JSON body'), { statusCode: 400 }), undefined);
    }
  });
}

/** Requests whose body was over the limit and read to its end: the route answers 413 (the connection stays usable). */
const tooLarge = new WeakSet<FastifyRequest>();
export const bodyWasTooLarge = (req: FastifyRequest): boolean => tooLarge.has(req);

/**
 * Like `keepRawJson`, but a body over `bodyLimit` is read to its end (and dropped), up to
 * `drainLimit` bytes, and left for the route to answer 413 (`bodyWasTooLarge`): a parser error
 * would make Fastify close the connection, and a client still uploading over a kept-alive
 * connection would get a reset (EPIPE) instead of its answer. Beyond `drainLimit` the parser fails
 * with 413 at once, and Fastify closes the connection.
 */
export function keepRawJsonDrained(scope: FastifyInstance, bodyLimit: number, drainLimit: number): void {
  if (scope.hasContentTypeParser('application/json')) scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', (req, payload, done) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const finish = (err: Error | null, value?: unknown) => {
      if (finished) return;
      finished = true;
      payload.removeAllListeners('data');
      done(err, value);
    };
    const declared = Number(req.headers['content-length']);
    const tooLargeError = () => Object.assign(new Error(`Request body is over ${bodyLimit} bytes`), { statusCode: 413, code: 'payload_too_large' });
    if (declared > drainLimit) return finish(tooLargeError());
    payload.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= bodyLimit) chunks.push(chunk);
      else if (size > drainLimit) finish(tooLargeError());
    });
    payload.on('error', (err) => finish(err));
    payload.on('end', () => {
      if (size > bodyLimit) {
        tooLarge.add(req);
        return finish(null, undefined);
      }
      const bytes = Buffer.concat(chunks);
      rawBodies.set(req, bytes);
      if (bytes.length === 0) return finish(null, undefined);
      try {
        finish(null, JSON.parse(bytes.toString('utf8')));
      } catch {
        finish(Object.assign(new Error('Malformed JSON body'), { statusCode: 400 }));
      }
    });
  });
}
