import type { FastifyInstance, FastifyRequest } from 'fastify';

/** The exact JSON bytes received, kept for `body_md5` (a WeakMap: no type augmentation of Fastify to clash with). */
const rawBodies = new WeakMap<FastifyRequest, string>();

export const rawBodyOf = (req: FastifyRequest): string | undefined => rawBodies.get(req);

/** A JSON parser for this scope only (Fastify encapsulates parsers) that also keeps the raw text. */
export function keepRawJson(scope: FastifyInstance, bodyLimit: number): void {
  scope.removeContentTypeParser('application/json');
  scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (req, body, done) => {
    const text = body as string;
    rawBodies.set(req, text);
    if (text.length === 0) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(Object.assign(new Error('Malformed JSON body'), { statusCode: 400 }), undefined);
    }
  });
}
