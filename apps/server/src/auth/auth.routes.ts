import type {} from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import { limitKey } from '../http/client-address.ts';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { apiErrorSchema, apiTokenSchema, createApiTokenSchema, createdApiTokenSchema, listResponseSchema, loginRequestSchema, loginResponseSchema, okSchema, userSchema } from '@slipway/contracts';
import { AuthError, type AuthService } from './auth.service.ts';
import { CSRF_COOKIE, SESSION_COOKIE, requireUser } from './auth.hooks.ts';
import { sendValidationError } from '../http/errors.ts';
import { SIGNED_IN, SIGNED_IN_ERRORS, answer, describeOnly } from '../openapi/route-schemas.ts';

// Route schemas (the OpenAPI document); the handlers parse bodies themselves, with the same schemas.
const tags = ['auth'];
const invalid = answer('invalid_input: `details` names each bad field', apiErrorSchema);
const tooMany = answer('Too many attempts: from this address, or for this account (Retry-After says when to try again)', apiErrorSchema);
const ID = /^\d{1,15}$/;

export interface AuthRoutesOptions {
  auth: AuthService;
  secureCookie: 'auto' | boolean;
  /** Sign-in attempts per client address (`request.ip`) and minute, on this instance. */
  loginPerAddressPerMinute: number;
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/** Sign-in, sign-out, who-am-I, and the signed-in user's personal access tokens. */
export const authRoutes: FastifyPluginAsync<AuthRoutesOptions> = async (app, { auth, secureCookie, loginPerAddressPerMinute }) => {
  describeOnly(app);
  // Per address (an IPv6 address's /64), in memory: bounds what one client can try across every
  // account. The per-account lock (auth.login) lives in the database, so it holds across instances.
  await app.register(rateLimit, { global: false });
  // Every option that matters given here: a registration in a parent context must not lend its own.
  const perAddress = app.rateLimit({
    max: loginPerAddressPerMinute,
    timeWindow: 60_000,
    keyGenerator: (req) => limitKey(req.ip),
    allowList: undefined,
    ban: undefined,
    errorResponseBuilder: (_req, ctx) => ({
      statusCode: 429,
      code: 'rate_limited',
      error: 'rate_limited',
      message: `too many sign-in attempts from this address; try again in ${seconds(ctx.ttl)} s`,
    }),
  });

  const loginSchema = {
    tags,
    summary: 'Sign in: sets the session cookie and the XSRF-TOKEN cookie',
    body: loginRequestSchema,
    response: { 200: loginResponseSchema, 401: answer('Wrong email or password', apiErrorSchema), 422: invalid, 429: tooMany },
  };
  app.post('/api/auth/login', { onRequest: perAddress, schema: loginSchema }, async (req, reply) => {
    const body = loginRequestSchema.safeParse(req.body);
    if (!body.success) return sendValidationError(reply, body.error);
    const s = await auth.login(body.data.email, body.data.password);
    if (!s.ok && s.reason === 'locked') {
      const wait = seconds(s.retryAfterMs);
      return reply
        .code(429)
        .header('retry-after', String(wait))
        .send({ error: 'too_many_attempts', message: `too many failed sign-ins for this account; try again in ${wait} s` });
    }
    if (!s.ok) return reply.code(401).send({ error: 'invalid_credentials', message: 'wrong email or password' });
    const secure = secureCookie === 'auto' ? req.protocol === 'https' : secureCookie;
    const common = { path: '/', sameSite: 'lax' as const, secure, expires: s.expires };
    reply.setCookie(SESSION_COOKIE, s.sessionId, { ...common, httpOnly: true });
    reply.setCookie(CSRF_COOKIE, s.csrfToken, { ...common, httpOnly: false });
    return { user: s.user, csrf_token: s.csrfToken };
  });

  const logoutSchema = { tags, summary: 'Sign out: ends the session', security: SIGNED_IN, response: { 200: okSchema, ...SIGNED_IN_ERRORS } };
  app.post('/api/auth/logout', { preHandler: requireUser(auth), schema: logoutSchema }, async (req, reply) => {
    const sid = req.cookies[SESSION_COOKIE];
    if (sid) await auth.logout(sid);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    reply.clearCookie(CSRF_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/api/auth/me', { preHandler: requireUser(auth), schema: { tags, summary: 'Who is signed in', security: SIGNED_IN, response: { 200: userSchema, ...SIGNED_IN_ERRORS } } }, async (req) => req.user);

  const listSchema = { tags, summary: 'Your personal access tokens (never the tokens themselves)', security: SIGNED_IN, response: { 200: listResponseSchema(apiTokenSchema), ...SIGNED_IN_ERRORS } };
  app.get('/api/auth/tokens', { preHandler: requireUser(auth), schema: listSchema }, async (req) => ({ data: await auth.listTokens(req.user!.id) }));

  // A session, not a token: a leaked token must not be able to mint its own successors.
  const createSchema = {
    tags,
    summary: 'Create a personal access token (with a session only); the token is answered once',
    security: [{ session: [] }],
    body: createApiTokenSchema,
    response: { 201: createdApiTokenSchema, ...SIGNED_IN_ERRORS, 409: answer('You hold API_TOKENS_MAX_PER_USER tokens already', apiErrorSchema), 422: invalid },
  };
  app.post('/api/auth/tokens', { preHandler: requireUser(auth, { session: true }), schema: createSchema }, async (req, reply) => {
    const body = createApiTokenSchema.safeParse(req.body);
    if (!body.success) return sendValidationError(reply, body.error);
    try {
      return reply.code(201).send(await auth.issueToken(req.user!, body.data));
    } catch (err) {
      if (err instanceof AuthError && err.code === 'too_many_tokens') return reply.code(409).send({ error: err.code, message: err.message });
      throw err;
    }
  });

  const revokeSchema = {
    tags,
    summary: 'Revoke one of your tokens',
    security: SIGNED_IN,
    params: z.object({ id: z.string().describe("The token's id") }),
    response: { 204: z.undefined().describe('Revoked'), ...SIGNED_IN_ERRORS, 404: answer('No such token of yours', apiErrorSchema) },
  };
  app.delete<{ Params: { id: string } }>('/api/auth/tokens/:id', { preHandler: requireUser(auth), schema: revokeSchema }, async (req, reply) => {
    const revoked = ID.test(req.params.id) ? await auth.revokeToken(Number(req.params.id), req.user!.id) : undefined;
    if (!revoked) return reply.code(404).send({ error: 'not_found', message: `no token ${req.params.id} of yours` });
    return reply.code(204).send();
  });
};
