import type { FastifyInstance, FastifyRequest } from 'fastify';
import { apiErrorSchema, userAuthRequestSchema, userAuthResponseSchema } from '@slipway/contracts';
import { SIGNED_IN, answer, describeOnly } from '../openapi/route-schemas.ts';
import { SOCKET_ID } from './auth.routes.ts';
import type { RealtimeUser } from './channel-policy.ts';
import { signUser, type AppCredentials } from './signatures.ts';

/**
 * `POST /broadcasting/user-auth`, Echo's (and pusher-js's `userAuthentication`) endpoint for
 * `pusher:signin`: answers `{auth, user_data}` with the signed-in user's id, so the socket can
 * receive what the application sends to that user (`#server-to-user-{id}`).
 */
const schema = {
  tags: ['realtime'],
  summary: 'Sign a socket in (`pusher:signin`) as the signed-in user',
  security: SIGNED_IN,
  consumes: ['application/x-www-form-urlencoded', 'application/json'],
  body: userAuthRequestSchema,
  response: {
    200: userAuthResponseSchema,
    400: answer('socket_id is missing or malformed', apiErrorSchema),
    401: answer('Not signed in', apiErrorSchema),
    429: answer('Too many authorizations from this address (REALTIME_AUTH_RATE_PER_MINUTE)', apiErrorSchema),
  },
};

export async function userAuthRoutes(scope: FastifyInstance, opts: { app: AppCredentials; authenticate: (req: FastifyRequest) => Promise<RealtimeUser | null> }): Promise<void> {
  describeOnly(scope);
  scope.post('/broadcasting/user-auth', { schema }, async (req, reply) => {
    const user = await opts.authenticate(req);
    if (!user) return reply.code(401).send({ error: 'unauthenticated', message: 'sign in, or send Authorization: Bearer <token>' });
    const socketId = ((req.body ?? {}) as Record<string, unknown>).socket_id;
    if (typeof socketId !== 'string' || !SOCKET_ID.test(socketId)) return reply.code(400).send({ error: 'bad_request', message: 'socket_id is missing or malformed' });
    const userData = JSON.stringify({ id: String(user.id), user_info: { email: user.email } });
    return { auth: signUser(opts.app, socketId, userData), user_data: userData };
  });
}
