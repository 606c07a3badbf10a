import type { FastifyInstance } from 'fastify';

export interface RequestLine {
  /** `GET /api/admin/modules 200 4.1 ms` */
  msg: string;
  /** The same facts as fields, for log collectors (hidden on a terminal: the message says it). */
  http: { method: string; path: string; status: number; ms: number };
}

/** One line per request. The query string is left out: it may carry tokens, and it is noise. */
export function requestLine(method: string, url: string, status: number, elapsedMs: number): RequestLine {
  const path = url.split('?', 1)[0] ?? url;
  const ms = Math.round(elapsedMs * 10) / 10;
  return { msg: `${method} ${path} ${status} ${ms} ms`, http: { method, path, status, ms } };
}

/**
 * Replaces Fastify's two lines per request ("incoming request", "request completed", with full
 * req/res objects) by one. Needs Fastify's own lines off (a `LogController` with
 * `disableRequestLogging`). A route's own `logLevel` still applies: the webhook intake logs its
 * deliveries itself and sets `warn`.
 */
export function logEachRequestOnce(app: FastifyInstance): void {
  app.addHook('onResponse', async (req, reply) => {
    const { msg, http } = requestLine(req.method, req.url, reply.statusCode, reply.elapsedTime);
    if (reply.statusCode >= 500) req.log.warn({ http }, msg);
    else req.log.info({ http }, msg);
  });
}
