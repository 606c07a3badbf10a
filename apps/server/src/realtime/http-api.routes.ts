import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { checkBatch, checkEvent, type HttpApiLimits } from './http-api.ts';
import { channelKind, isValidChannelName } from './protocol.ts';
import { keepRawJson, rawBodyOf } from './raw-body.ts';
import { verifyRequest, type AppCredentials } from './signatures.ts';
import type { EventBus } from './event-bus.ts';

/** What the channel queries read: this server's subscriptions. */
export interface ChannelDirectory {
  subscriptionCount(channel: string): number | Promise<number>;
  occupiedChannels(prefix: string): Iterable<[string, number]> | Promise<Iterable<[string, number]>>;
}

export interface HttpApiRouteOptions {
  app: AppCredentials;
  limits: HttpApiLimits;
  bus: EventBus;
  directory: ChannelDirectory;
}

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
export async function httpApiRoutes(scope: FastifyInstance, opts: HttpApiRouteOptions): Promise<void> {
  const { app, limits, bus, directory } = opts;
  // JSON only, as every Pusher SDK sends: any other body (form-encoded, text, ...) is 415, so no
  // body can reach a handler without its exact bytes being checked against the signed body_md5.
  scope.removeAllContentTypeParsers();
  keepRawJson(scope, 256 * 1024);

  /** Answers the refusal itself and returns false, or returns true for a well-signed request. */
  const authorized = (req: FastifyRequest<{ Params: { appId: string } }>, reply: FastifyReply): boolean => {
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
    return out;
  };

  scope.post<{ Params: { appId: string } }>('/apps/:appId/events', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    const checked = checkEvent(req.body, limits);
    if (!checked.ok) return reply.code(checked.status).send({ error: checked.status === 413 ? 'payload_too_large' : 'bad_request', message: checked.error });
    const { info, ...event } = checked.value;
    bus.publish(event);
    if (info.length === 0) return {};
    const channels: Record<string, Record<string, number>> = {};
    for (const c of event.channels) channels[c] = await channelInfo(c, info);
    return { channels };
  });

  scope.post<{ Params: { appId: string } }>('/apps/:appId/batch_events', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    const checked = checkBatch(req.body, limits);
    if (!checked.ok) return reply.code(checked.status).send({ error: checked.status === 413 ? 'payload_too_large' : 'bad_request', message: checked.error });
    const answers: Record<string, number>[] = [];
    for (const { info, ...event } of checked.value) {
      bus.publish(event);
      answers.push(await channelInfo(event.channels[0]!, info));
    }
    return checked.value.some((e) => e.info.length > 0) ? { batch: answers } : {};
  });

  scope.get<{ Params: { appId: string }; Querystring: { filter_by_prefix?: string; info?: string } }>('/apps/:appId/channels', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    const prefix = req.query.filter_by_prefix ?? '';
    const info = req.query.info ? req.query.info.split(',') : [];
    if (info.includes('user_count') && !prefix.startsWith('presence-'))
      return reply.code(400).send({ error: 'bad_request', message: 'info=user_count needs filter_by_prefix=presence-' });
    const channels: Record<string, Record<string, number>> = {};
    for (const [name, count] of await directory.occupiedChannels(prefix)) {
      channels[name] = info.includes('subscription_count') ? { subscription_count: count } : {};
    }
    return { channels };
  });

  scope.get<{ Params: { appId: string; channelName: string }; Querystring: { info?: string } }>('/apps/:appId/channels/:channelName', async (req, reply) => {
    if (!authorized(req, reply)) return reply;
    const name = req.params.channelName;
    if (!isValidChannelName(name)) return reply.code(400).send({ error: 'bad_request', message: 'Invalid channel name' });
    const info = req.query.info ? req.query.info.split(',') : [];
    if (info.includes('user_count') && channelKind(name) !== 'presence') return reply.code(400).send({ error: 'bad_request', message: 'user_count is only for presence channels' });
    const count = await directory.subscriptionCount(name);
    return info.includes('subscription_count') ? { occupied: count > 0, subscription_count: count } : { occupied: count > 0 };
  });
}
