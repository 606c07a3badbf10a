import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

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

/**
 * Echoes each request's id in `X-Request-Id`. Fastify's request logger (`req.log`) puts it on
 * every line as `reqId`; a service that logs for a request through its own logger is given the id
 * (the webhook intake). Not AsyncLocalStorage: on Node 20 its promise hooks cost the webhook intake
 * about a fifth of its throughput (docs/decisions.md).
 */
export function echoRequestIds(app: FastifyInstance): void {
  app.addHook('onRequest', (req, reply, done) => {
    reply.header(REQUEST_ID_HEADER, req.id);
    done();
  });
}
