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
