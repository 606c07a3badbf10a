import type {} from '@fastify/cookie';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AuthService } from './auth.service.ts';
import { CSRF_COOKIE, SESSION_COOKIE, requireUser } from './auth.hooks.ts';
import { sendValidationError } from '../http/errors.ts';

const loginBody = z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1000) });

export interface AuthRoutesOptions {
  auth: AuthService;
  secureCookie: 'auto' | boolean;
}

/** Sign-in, sign-out and who-am-I. */
export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (app, { auth, secureCookie }) => {
  app.post('/api/auth/login', async (req, reply) => {
    const body = loginBody.safeParse(req.body);
    if (!body.success) return sendValidationError(reply, body.error);
    const s = await auth.login(body.data.email, body.data.password);
    if (!s) return reply.code(401).send({ error: 'invalid_credentials', message: 'wrong email or password' });
    const secure = secureCookie === 'auto' ? req.protocol === 'https' : secureCookie;
    const common = { path: '/', sameSite: 'lax' as const, secure, expires: s.expires };
    reply.setCookie(SESSION_COOKIE, s.sessionId, { ...common, httpOnly: true });
    reply.setCookie(CSRF_COOKIE, s.csrfToken, { ...common, httpOnly: false });
    return { user: s.user, csrf_token: s.csrfToken };
  });

  app.post('/api/auth/logout', { preHandler: requireUser(auth) }, async (req, reply) => {
    const sid = req.cookies[SESSION_COOKIE];
    if (sid) await auth.logout(sid);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    reply.clearCookie(CSRF_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/api/auth/me', { preHandler: requireUser(auth) }, async (req) => req.user);
};
