import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthService, Credentials, User } from './auth.service.ts';

export const SESSION_COOKIE = 'slipway_session';
/** Angular's HttpClient reads this cookie and sends it back as X-XSRF-TOKEN by itself. */
export const CSRF_COOKIE = 'XSRF-TOKEN';

declare module 'fastify' {
  interface FastifyRequest {
    user: User | null;
  }
}

export function credentialsOf(req: FastifyRequest): Credentials {
  const h = req.headers;
  const csrf = h['x-xsrf-token'] ?? h['x-csrf-token'];
  return {
    method: req.method,
    authorization: h.authorization,
    sessionCookie: req.cookies?.[SESSION_COOKIE],
    csrfHeader: Array.isArray(csrf) ? csrf[0] : csrf,
  };
}

/** The `authenticate` other parts (realtime channel auth) use: the user, or null. */
export function requestAuthenticator(auth: AuthService) {
  return async (req: FastifyRequest): Promise<User | null> => {
    const r = await auth.authenticate(credentialsOf(req));
    return r.ok ? r.user : null;
  };
}

/**
 * preHandler: 401/403 with a JSON error unless the request is authenticated. With `session: true`,
 * a bearer token is not enough (minting tokens needs a signed-in person, not a token).
 */
export function requireUser(auth: AuthService, opts: { session?: boolean } = {}) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const r = await auth.authenticate(credentialsOf(req));
    if (!r.ok) return reply.code(r.status).send({ error: r.status === 401 ? 'unauthenticated' : 'forbidden', message: r.message });
    if (opts.session && r.via !== 'session') {
      return reply.code(403).send({ error: 'session_required', message: 'sign in with a password to do this; a token cannot' });
    }
    req.user = r.user;
  };
}
