import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import formbody from '@fastify/formbody';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { limitKey } from '../http/client-address.ts';
import type { Broadcaster } from '../deployments/broadcaster.ts';
import { authRoutes } from './auth.routes.ts';
import { BusBroadcaster } from './bus-broadcaster.ts';
import type { RealtimeUser } from './channel-policy.ts';
import type { RealtimeConfig } from './config.ts';
import { configRoutes } from './config.routes.ts';
import { LocalBus, type EventBus } from './event-bus.ts';
import { ExternalBroadcaster } from './external-broadcaster.ts';
import { httpApiRoutes, type ChannelDirectory } from './http-api.routes.ts';
import { PusherServer, type ClientAddressFn, type PusherServerStats } from './pusher-server.ts';
import { keepRawJson } from './raw-body.ts';
import { RedisBus } from './redis-bus.ts';
import { RedisChannelState } from './redis-channel-state.ts';
import { LocalChannelState, type ChannelState } from './channel-state.ts';
import { WebhookSender } from './app-webhooks.ts';
import { corsAllowList } from './cors.ts';
import { userAuthRoutes } from './user-auth.routes.ts';
import type { DeploymentAccess } from './channel-policy.ts';
import { refuseUpgrade } from './upgrade-refusal.ts';

export { readRealtimeConfig, realtimeConfig, realtimeConfigSchema, DEFAULT_APP_ID, DEFAULT_APP_KEY } from './config.ts';
export type { RealtimeConfig, RealtimeConfigInput } from './config.ts';
export type { RealtimeUser } from './channel-policy.ts';
export { userChannel, mayJoin } from './channel-policy.ts';
export { realtimeClientConfig } from './config.routes.ts';

export interface RealtimeOptions {
  config: RealtimeConfig;
  /** Who is asking (cookie session with CSRF check, or Bearer token); null when nobody is signed in. */
  authenticate: (req: FastifyRequest) => Promise<RealtimeUser | null>;
  /** Register `GET /api/config` (default true); false when the app serves it and merges `realtimeClientConfig`. */
  configRoute?: boolean;
  /**
   * The client's address, for per-address limits on sockets and `/broadcasting/auth`. Default: the
   * socket's peer; the composition passes one that believes trusted proxies' `X-Forwarded-For`.
   */
  clientAddress?: ClientAddressFn;
  /** Who may see a deployment (its presence channel `presence-deployment.{id}`); without it, nobody joins those. */
  deploymentAccess?: DeploymentAccess;
}

/**
 * The request log line with the path only: the Pusher HTTP API signs its query string
 * (`auth_signature`, `body_md5`), which must not reach the log.
 */
// Fastify types serializers as returning strings; pino takes (and Fastify's own return) objects.
const pathOnlyRequest = {
  req: (req: { method: string; url: string; hostname?: string; ip?: string; socket?: { remotePort?: number } }) => ({
    method: req.method,
    url: req.url.split('?')[0],
    host: req.hostname,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }),
} as unknown as Record<string, (value: unknown) => string>;

/** This instance's sockets and traffic, and whether it is on the Redis bus (when REDIS_URL is set). */
export interface RealtimeStats extends PusherServerStats {
  redisBusConnected?: boolean;
}

export interface Realtime {
  broadcaster: Broadcaster;
  /** The embedded server (null with an external service): stats, and direct delivery for tests. */
  server: PusherServer | null;
  /** For /metrics; null with an external service (no sockets here). */
  stats(): RealtimeStats | null;
  /** Readiness of the Redis bus (PING); null when there is none (embedded or external driver). */
  redisCheck: (() => Promise<void>) | null;
  close(): Promise<void>;
}

/**
 * Realtime for Slipway, chosen by `config.driver`:
 * - embedded: a Pusher-protocol server on the app's own HTTP port (`/app/{key}`), the Pusher HTTP
 *   API (`/apps/{id}/...`) and channel auth (`/broadcasting/auth`);
 * - redis: the same, with events shared between instances over Redis pub/sub;
 * - external: no server here; deployment events go to PUSHER_HOST through the `pusher` SDK, and
 *   channel auth is still signed here with the shared secret.
 * Call before `listen`. Sockets are closed in `preClose`, so `app.close()` does not wait on them.
 */
export async function registerRealtime(app: FastifyInstance, opts: RealtimeOptions): Promise<Realtime> {
  const cfg = opts.config;
  const clientAddress: ClientAddressFn = opts.clientAddress ?? ((req) => req.socket.remoteAddress);
  const log = app.log.child({ component: 'realtime' });
  const onError = (err: unknown) => log.warn({ err }, 'realtime delivery failed');

  let server: PusherServer | null = null;
  let bus: EventBus | null = null;
  let state: ChannelState | null = null;
  let webhooks: WebhookSender | null = null;
  let directory: Omit<ChannelDirectory, 'members'> | null = null;
  let broadcaster: Broadcaster;
  let onUpgrade: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | null = null;

  if (cfg.driver === 'external') {
    broadcaster = new ExternalBroadcaster(cfg, onError);
  } else {
    const cacheTtlMs = cfg.cacheTtlSeconds * 1000;
    state = cfg.driver === 'redis' ? await RedisChannelState.connect({ url: cfg.redisUrl!, appId: cfg.appId, cacheTtlMs, onError }) : new LocalChannelState(cacheTtlMs);
    const s = (server = new PusherServer(cfg, clientAddress, state));
    s.onError = (err) => log.error({ err }, 'realtime handler failed; that connection was closed');
    if (cfg.webhookUrl) {
      const w = (webhooks = new WebhookSender({ url: cfg.webhookUrl, app: s.app, batchMs: cfg.webhookBatchMs, maxAttempts: cfg.webhookMaxAttempts, retryBaseMs: cfg.webhookRetryBaseMs, onError: (err) => log.warn({ err }, 'realtime webhook failed') }));
      s.onWebhook = (e) => w.send(e);
    }
    const deliver = s.deliver.bind(s);
    try {
      if (cfg.driver === 'redis') {
        const redis = await RedisBus.connect({ url: cfg.redisUrl!, appId: cfg.appId, deliver, local: s, onError });
        // Channel queries count every instance's sockets, not only this one's.
        directory = {
          subscriptionCount: async (channel) => (await redis.clusterChannels(channel)).get(channel) ?? 0,
          occupiedChannels: async (prefix) => (await redis.clusterChannels(prefix)).entries(),
        };
        bus = redis;
      } else {
        bus = new LocalBus(deliver);
      }
    } catch (err) {
      await s.close();
      await state.close();
      throw err;
    }
    const b = bus;
    s.toBus = (e) => b.publish(e);
    broadcaster = new BusBroadcaster(b, cfg, onError);
    onUpgrade = (req, socket, head) => {
      // Node removes its own error listener from upgraded sockets: without one, a reset by the
      // client (or any socket error before ws takes over) would be an uncaught 'error' event.
      socket.on('error', () => {});
      try {
        if (s.handleUpgrade(req, socket, head)) return;
        // Nobody else listens for upgrades: answer, rather than leave the socket hanging.
        if (app.server.listenerCount('upgrade') === 1) refuseUpgrade(socket, 404, 'No websocket here');
      } catch (err) {
        // Whatever a request makes go wrong ends that request, never the process.
        log.warn({ err }, 'upgrade request failed');
        refuseUpgrade(socket, 400, 'Bad upgrade request');
      }
    };
    app.server.on('upgrade', onUpgrade);
  }

  await app.register(async (scope) => {
    // Before the routes: answers preflights, and adds the CORS headers for listed origins only.
    corsAllowList(scope, cfg.corsOrigins);
    await scope.register(formbody);
    keepRawJson(scope, 256 * 1024);
    await scope.register(async (limited) => {
      // Its own instance, global to this scope only (the one route): whatever else the app rate
      // limits, and however, this counts and answers alike.
      await limited.register(rateLimit, {
        global: true,
        max: cfg.authRatePerMinute,
        timeWindow: 60_000,
        // Fastify's own address (it honours the app's trusted proxies) unless one is injected.
        keyGenerator: (req) => limitKey(opts.clientAddress ? opts.clientAddress(req.raw) : req.ip),
        errorResponseBuilder: (_req, ctx) =>
          Object.assign(new Error(`Too many channel authorizations from this address; retry in ${Math.ceil(ctx.ttl / 1000)} s`), {
            statusCode: 429,
            code: 'too_many_requests',
          }),
      });
      const credentials = { id: cfg.appId, key: cfg.key, secret: cfg.secret };
      await limited.register(authRoutes, { app: credentials, policy: cfg, authenticate: opts.authenticate, deploymentAccess: opts.deploymentAccess });
      await limited.register(userAuthRoutes, { app: credentials, authenticate: opts.authenticate });
    });
    if (server && bus) {
      const s = server;
      const st = state!;
      await scope.register(httpApiRoutes, {
        app: s.app,
        limits: cfg,
        publish: (e) => s.publish(e),
        directory: { ...(directory ?? { subscriptionCount: (c: string) => s.subscriptionCount(c), occupiedChannels: (p: string) => s.occupiedChannels(p) }), members: (c: string) => st.members(c) },
        logSerializers: pathOnlyRequest,
      });
    }
    if (opts.configRoute !== false) await scope.register(configRoutes, { config: cfg });
  });

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      if (onUpgrade) app.server.off('upgrade', onUpgrade);
      await server?.close();
      await webhooks?.close();
      await bus?.close();
      await state?.close();
      await broadcaster.close?.();
    })());
  app.addHook('preClose', async () => close());

  if (cfg.driver === 'embedded' && cfg.secretGenerated) log.info('PUSHER_APP_SECRET not set: generated one for this process (set it to use the Pusher HTTP API)');
  log.info({ driver: cfg.driver, key: cfg.key }, 'realtime ready');
  const stats = () => {
    if (!server) return null;
    return bus instanceof RedisBus ? { ...server.stats(), redisBusConnected: bus.connected } : server.stats();
  };
  const redisBus = bus instanceof RedisBus ? bus : null;
  return { broadcaster, server, stats, redisCheck: redisBus ? () => redisBus.ping() : null, close };
}
