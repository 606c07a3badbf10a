import type { FastifyInstance } from 'fastify';

/** The routes a page on another origin may call: channel and user auth, the client config, the HTTP API. */
export const CORS_PATHS = ['/broadcasting/auth', '/broadcasting/user-auth', '/api/config', '/apps/*'];
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-XSRF-TOKEN, X-CSRF-TOKEN, X-Requested-With, X-Socket-ID';

/**
 * CORS for an allow-list of origins (REALTIME_CORS_ORIGINS), written here because @fastify/cors is
 * not a dependency: a listed origin gets `Access-Control-Allow-Origin` (with credentials, so
 * Echo's cookie or Bearer auth works), its preflight a 204; any other origin gets no CORS header
 * and a 403 preflight, which leaves it same-origin only, as with an empty list (the default).
 */
export function corsAllowList(scope: FastifyInstance, origins: readonly string[]): void {
  const allowed = new Set(origins);
  scope.addHook('onRequest', async (req, reply) => {
    // Whatever the origin: caches must not give one origin's answer to another.
    reply.header('Vary', 'Origin');
    const origin = req.headers.origin;
    if (origin && allowed.has(origin)) {
      reply.header('Access-Control-Allow-Origin', origin);
      reply.header('Access-Control-Allow-Credentials', 'true');
    }
  });
  for (const path of CORS_PATHS) {
    scope.options(path, async (req, reply) => {
      const origin = req.headers.origin;
      if (!origin || !allowed.has(origin)) return reply.code(403).send({ error: 'forbidden', message: 'this origin may not call Slipway (REALTIME_CORS_ORIGINS)' });
      return reply
        .code(204)
        .header('Access-Control-Allow-Methods', 'GET, POST, OPTIONS')
        .header('Access-Control-Allow-Headers', ALLOWED_HEADERS)
        .header('Access-Control-Max-Age', '600')
        .send();
    });
  }
}
