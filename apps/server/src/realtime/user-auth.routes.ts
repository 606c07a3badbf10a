import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SOCKET_ID } from './auth.routes.ts';
import type { RealtimeUser } from './channel-policy.ts';
import { signUser, type AppCredentials } from './signatures.ts';

/**
 * `POST /broadcasting/user-auth`, Echo's (and pusher-js's `userAuthentication`) endpoint for
 * `pusher:signin`: answers `{auth, user_data}` with the signed-in user's id, so the socket can
 * receive what the application sends to that user (`#server-to-user-{id}`).
 */
export async function userAuthRoutes(scope: FastifyInstance, opts: { app: AppCredentials; authenticate: (req: FastifyRequest) => Promise<RealtimeUser | null> }): Promise<void> {
  scope.post('/broadcasting/user-auth', async (req, reply) => {
    const user = await opts.authenticate(req);
    if (!user) return reply.code(401).send({ error: 'unauthenticated', message: 'sign in, or send Authorization: Bearer <token>' });
    const socketId = ((req.body ?? {}) as Record<string, unknown>).socket_id;
    if (typeof socketId !== 'string' || !SOCKET_ID.test(socketId)) return reply.code(400).send({ error: 'bad_request', message: 'socket_id is missing or malformed' });
    const userData = JSON.stringify({ id: String(user.id), user_info: { email: user.email } });
    return { auth: signUser(opts.app, socketId, userData), user_data: userData };
  });
}
