import type { FastifyInstance, FastifyRequest } from 'fastify';
import { apiErrorSchema, channelAuthRequestSchema, channelAuthResponseSchema } from '@slipway/contracts';
import { SIGNED_IN, answer, describeOnly } from '../openapi/route-schemas.ts';
import { deploymentOfPresenceChannel, mayJoin, presenceChannelData, type ChannelPolicy, type DeploymentAccess, type RealtimeUser } from './channel-policy.ts';
import { channelKind, isValidChannelName } from './protocol.ts';
import { signChannel, type AppCredentials } from './signatures.ts';

export interface AuthRouteOptions {
  app: AppCredentials;
  policy: ChannelPolicy;
  authenticate: (req: FastifyRequest) => Promise<RealtimeUser | null>;
  deploymentAccess?: DeploymentAccess | undefined;
}

export const SOCKET_ID = /^\d+\.\d+$/;

/** The route's schema (the OpenAPI document); the handler checks the body itself, as Echo expects. */
const schema = {
  tags: ['realtime'],
  summary: "Sign a channel subscription: Laravel Echo's default authorizer (docs/contracts.md, section 3)",
  security: SIGNED_IN,
  consumes: ['application/x-www-form-urlencoded', 'application/json'],
  body: channelAuthRequestSchema,
  response: {
    200: answer('The signature; with `channel_data` for a presence channel', channelAuthResponseSchema),
    400: answer('socket_id or channel_name is missing or malformed', apiErrorSchema),
    401: answer('Not signed in', apiErrorSchema),
    403: answer('You may not join this channel', apiErrorSchema),
    429: answer('Too many channel authorizations from this address (REALTIME_AUTH_RATE_PER_MINUTE)', apiErrorSchema),
  },
};

/**
 * `POST /broadcasting/auth`, Laravel Echo's default channel authorizer: form-encoded (or JSON)
 * `socket_id` and `channel_name`; answers `{"auth":"<key>:<signature>"}` for a private channel the
 * user may join, and `{auth, channel_data}` for a deployment's presence channel they may watch.
 */
export async function authRoutes(scope: FastifyInstance, opts: AuthRouteOptions): Promise<void> {
  describeOnly(scope);
  scope.post('/broadcasting/auth', { schema }, async (req, reply) => {
    const user = await opts.authenticate(req);
    if (!user) return reply.code(401).send({ error: 'unauthenticated', message: 'sign in, or send Authorization: Bearer <token>' });

    const body = (req.body ?? {}) as Record<string, unknown>;
    const socketId = body.socket_id;
    const channel = body.channel_name;
    if (typeof socketId !== 'string' || !SOCKET_ID.test(socketId)) return reply.code(400).send({ error: 'bad_request', message: 'socket_id is missing or malformed' });
    if (!isValidChannelName(channel)) return reply.code(400).send({ error: 'bad_request', message: 'channel_name is missing or malformed' });
    const forbidden = () => {
      req.log.info({ userId: user.id, channel }, 'channel auth refused');
      return reply.code(403).send({ error: 'forbidden', message: 'you may not join this channel' });
    };
    const deploymentId = deploymentOfPresenceChannel(channel);
    if (deploymentId !== null) {
      if (!opts.deploymentAccess || !(await opts.deploymentAccess(user, deploymentId))) return forbidden();
      const channelData = presenceChannelData(user);
      return { auth: signChannel(opts.app, socketId, channel, channelData), channel_data: channelData };
    }
    // Only Slipway's own private channels are signed here: public ones need no auth.
    if (channelKind(channel) !== 'private' || !mayJoin(opts.policy, user, channel)) return forbidden();
    return { auth: signChannel(opts.app, socketId, channel) };
  });
}
