import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkBatch, checkEvent, type HttpApiLimits } from './http-api.ts';
import { httpApiBodyLimit } from './http-api.ts';
import { channelKind, isValidChannelName, isValidUserId, USER_CHANNEL_PREFIX } from './protocol.ts';
import { bodyWasTooLarge, keepRawJsonDrained, rawBodyOf } from './raw-body.ts';
import { verifyRequest, type AppCredentials } from './signatures.ts';
import type { RealtimeEvent } from './event-bus.ts';
import type { Members } from './channel-state.ts';
import { TERMINATE_EVENT } from './pusher-server.ts';

/** What the channel queries read: subscriptions (this server's, or every instance's), and presence members. */
export interface ChannelDirectory {
  subscriptionCount(channel: string): number | Promise<number>;
  occupiedChannels(prefix: string): Iterable<[string, number]> | Promise<Iterable<[string, number]>>;
  members(channel: string): Promise<Members>;
}

export interface HttpApiRouteOptions {
  app: AppCredentials;
  limits: HttpApiLimits;
  /** To every instance's sockets (cache channels remember it). */
  publish: (event: RealtimeEvent) => void;
  directory: ChannelDirectory;
}

/** An upload over the body limit is still read (and dropped) up to this many times the limit, so its 413 arrives. */
const DRAIN_FACTOR = 8;

function flatQuery(q: unknown): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries((q ?? {}) as Record<string, unknown>)) {
    if (typeof v !== 'string') return null; // repeated keys make the signed string ambiguous
    out[k] = v;
  }
  return out;
}

/**
 * The Pusher HTTP API (the part servers publish with): `POST /apps/{id}/events`,
 * `/batch_events`, `GET /apps/{id}/channels`, `/channels/{name}`, each with Pusher's request
 * signature. The official `pusher` SDK talks to it unchanged.
 */
export async function httpApiRoutes(parent: FastifyInstance, opts: HttpApiRouteOptions): Promise<void> {
  await parent.register(async (scope) => apiRoutes(scope, opts), { prefix: '/apps' });
}

async function apiRoutes(scope: FastifyInstance, opts: HttpApiRouteOptions): Promise<void> {
  const { app, limits, publish, directory } = opts;
  // JSON only, as every Pusher SDK sends: any other body (form-encoded, text, ...) is 415, so no
  // body can reach a handler without its exact bytes being checked against the signed body_md5.
  scope.removeAllContentTypeParsers();
  const bodyLimit = httpApiBodyLimit(limits);
  keepRawJsonDrained(scope, bodyLimit, bodyLimit * DRAIN_FACTOR);
  // Fastify's own 404 names the URL with its query, which holds the request's signature.
  scope.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));

  /** Answers the refusal itself and returns false, or returns true for a well-signed request. */
  const authorized = (req: FastifyRequest<{ Params: { appId: string } }>, reply: FastifyReply): boolean => {
    if (bodyWasTooLarge(req)) {
      reply.code(413).send({ error: 'payload_too_large', message: `Request body is over ${bodyLimit} bytes` });
      return false;
    }
    if (req.params.appId !== app.id) {
      reply.code(404).send({ error: 'not_found', message: `unknown app ${req.params.appId}` });
      return false;
    }
    const query = flatQuery(req.query);
    if (!query) {
      reply.code(400).send({ error: 'bad_request', message: 'repeated query parameters' });
      return false;
    }
    const path = (req.raw.url ?? '').split('?')[0]!;
    const body = rawBodyOf(req);
    if (body === undefined && req.body !== undefined) {
      // A body parsed without its bytes kept could not be checked: never let one through.
      reply.code(415).send({ error: 'unsupported_media_type', message: 'the Pusher HTTP API takes application/json bodies only' });
      return false;
    }
    const check = verifyRequest(app, { method: req.method, path, query, body });
    if (!check.ok) {
      reply.code(check.status).send({ error: 'unauthorized', message: check.error });
      return false;
    }
    return true;
  };

  const channelInfo = async (channel: string, info: string[]) => {
    const out: Record<string, number> = {};
    if (info.includes('subscription_count')) out.subscription_count = await directory.subscriptionCount(channel);
    if (info.includes('user_count') && channelKind(channel) === 'presence') out.user_count = (await directory.members(channel)).size;
    return out;
  };

  scope.post<{ Params: { appId: string } }>('/:appId/events', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    const checked = checkEvent(req.body, limits);
    if (!checked.ok) return reply.code(checked.status).send({ error: checked.status === 413 ? 'payload_too_large' : 'bad_request', message: checked.error });
    const { info, ...event } = checked.value;
    publish(event);
    if (info.length === 0) return {};
    const channels: Record<string, Record<string, number>> = {};
    for (const c of event.channels) channels[c] = await channelInfo(c, info);
    return { channels };
  });

  scope.post<{ Params: { appId: string } }>('/:appId/batch_events', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    const checked = checkBatch(req.body, limits);
    if (!checked.ok) return reply.code(checked.status).send({ error: checked.status === 413 ? 'payload_too_large' : 'bad_request', message: checked.error });
    const answers: Record<string, number>[] = [];
    for (const { info, ...event } of checked.value) {
      publish(event);
      answers.push(await channelInfo(event.channels[0]!, info));
    }
    return checked.value.some((e) => e.info.length > 0) ? { batch: answers } : {};
  });

  scope.get<{ Params: { appId: string }; Querystring: { filter_by_prefix?: string; info?: string } }>('/:appId/channels', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    const prefix = req.query.filter_by_prefix ?? '';
    const info = req.query.info ? req.query.info.split(',') : [];
    if (info.includes('user_count') && !prefix.startsWith('presence-'))
      return reply.code(400).send({ error: 'bad_request', message: 'info=user_count needs filter_by_prefix=presence-' });
    const channels: Record<string, Record<string, number>> = {};
    for (const [name, count] of await directory.occupiedChannels(prefix)) {
      const entry: Record<string, number> = (channels[name] = {});
      if (info.includes('subscription_count')) entry.subscription_count = count;
      if (info.includes('user_count')) entry.user_count = (await directory.members(name)).size;
    }
    return { channels };
  });

  scope.get<{ Params: { appId: string; channelName: string }; Querystring: { info?: string } }>('/:appId/channels/:channelName', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    const name = req.params.channelName;
    if (!isValidChannelName(name)) return reply.code(400).send({ error: 'bad_request', message: 'Invalid channel name' });
    const info = req.query.info ? req.query.info.split(',') : [];
    if (info.includes('user_count') && channelKind(name) !== 'presence') return reply.code(400).send({ error: 'bad_request', message: 'user_count is only for presence channels' });
    const count = await directory.subscriptionCount(name);
    return { occupied: count > 0, ...(await channelInfo(name, info)) };
  });

  scope.get<{ Params: { appId: string; channelName: string } }>('/:appId/channels/:channelName/users', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    const name = req.params.channelName;
    if (!isValidChannelName(name) || channelKind(name) !== 'presence') return reply.code(400).send({ error: 'bad_request', message: 'users are listed for presence channels only' });
    return { users: [...(await directory.members(name)).keys()].map((id) => ({ id })) };
  });

  scope.post<{ Params: { appId: string; userId: string } }>('/:appId/users/:userId/terminate_connections', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    const userId = req.params.userId;
    if (!isValidUserId(userId)) return reply.code(400).send({ error: 'bad_request', message: 'Invalid user id' });
    // Through the bus like an event, so every instance closes its sockets of that user.
    publish({ channels: [`${USER_CHANNEL_PREFIX}${userId}`], name: TERMINATE_EVENT, data: '{}' });
    return {};
  });
}
