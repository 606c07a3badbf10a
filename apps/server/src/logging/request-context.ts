import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';

/** The header a request id comes in (from a proxy or a client) and goes back out in. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** A request id taken from a client: short, and only characters safe in a log line and a header. */
const WELL_FORMED = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** The incoming `X-Request-Id` when it is well-formed (one value, 1–64 of `A-Za-z0-9._:-`), else undefined. */
export function acceptedRequestId(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && WELL_FORMED.test(value) ? value : undefined;
}

/** Fastify's `genReqId`: the caller's id when well-formed, else a new UUID (unique across instances). */
export function requestIdOf(req: IncomingMessage): string {
  return acceptedRequestId(req.headers[REQUEST_ID_HEADER]) ?? randomUUID();
}

interface RequestContext {
  reqId: string;
}

const context = new AsyncLocalStorage<RequestContext>();

/** Marks a logger that binds `reqId` itself (Fastify's request logger, and its children). */
const BINDS_REQ_ID = Symbol('slipway.bindsReqId');

/**
 * Runs the rest of each request (its other hooks, its handler, and what they start) in a context
 * that knows the request id, and echoes the id in `X-Request-Id`. Register it first: hooks before
 * it would run outside the context.
 */
export function trackRequestIds(app: FastifyInstance): void {
  app.addHook('onRequest', (req, reply, done) => {
    reply.header(REQUEST_ID_HEADER, req.id);
    context.run({ reqId: req.id }, done);
  });
}

/** Fastify's `childLoggerFactory`: its request loggers, marked so the mixin does not add `reqId` twice. */
export function requestLoggerFactory(logger: FastifyBaseLogger, bindings: object, opts: object): FastifyBaseLogger {
  const child = logger.child(bindings, opts);
  (child as unknown as Record<symbol, boolean>)[BINDS_REQ_ID] = true;
  return child;
}

/**
 * pino's `mixin`: a line logged during a request through any logger that does not carry the
 * request id itself (the root logger a service was given, or a child of it) gets `reqId`.
 * pino's children inherit from their parent's object, so a request logger's children are marked too.
 */
export function requestIdMixin(_obj: object, _level: number, logger?: object): object {
  const store = context.getStore();
  if (!store || (logger && (logger as Record<symbol, unknown>)[BINDS_REQ_ID])) return {};
  return { reqId: store.reqId };
}
