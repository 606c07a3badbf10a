import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import formbody from '@fastify/formbody';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Broadcaster } from '../deployments/broadcaster.ts';
import { authRoutes } from './auth.routes.ts';
import { BusBroadcaster } from './bus-broadcaster.ts';
import type { RealtimeUser } from './channel-policy.ts';
import type { RealtimeConfig } from './config.ts';
import { configRoutes } from './config.routes.ts';
import { LocalBus, type EventBus } from './event-bus.ts';
import { ExternalBroadcaster } from './external-broadcaster.ts';
import { httpApiRoutes, type ChannelDirectory } from './http-api.routes.ts';
import { PusherServer } from './pusher-server.ts';
import { keepRawJson } from './raw-body.ts';
import { RedisBus } from './redis-bus.ts';

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
}

export interface Realtime {
  broadcaster: Broadcaster;
  /** The embedded server (null with an external service): stats, and direct delivery for tests. */
  server: PusherServer | null;
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
  const log = app.log.child({ component: 'realtime' });
  const onError = (err: unknown) => log.warn({ err }, 'realtime delivery failed');

  let server: PusherServer | null = null;
  let bus: EventBus | null = null;
  let directory: ChannelDirectory | null = null;
  let broadcaster: Broadcaster;
  let onUpgrade: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | null = null;

  if (cfg.driver === 'external') {
    broadcaster = new ExternalBroadcaster(cfg, onError);
  } else {
    const s = (server = new PusherServer(cfg));
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
      throw err;
    }
    const b = bus;
    s.onClientEvent = (e) => b.publish(e);
    broadcaster = new BusBroadcaster(b, cfg, onError);
    onUpgrade = (req, socket, head) => {
      if (s.handleUpgrade(req, socket, head)) return;
      // Nobody else listens for upgrades: answer, rather than leave the socket hanging.
      if (app.server.listenerCount('upgrade') === 1) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      }
    };
    app.server.on('upgrade', onUpgrade);
  }

  await app.register(async (scope) => {
    await scope.register(formbody);
    keepRawJson(scope, 256 * 1024);
    await scope.register(authRoutes, { app: { id: cfg.appId, key: cfg.key, secret: cfg.secret }, policy: cfg, authenticate: opts.authenticate });
    if (server && bus) await scope.register(httpApiRoutes, { app: server.app, limits: cfg, bus, directory: directory ?? server });
    if (opts.configRoute !== false) await scope.register(configRoutes, { config: cfg });
  });

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      if (onUpgrade) app.server.off('upgrade', onUpgrade);
      await server?.close();
      await bus?.close();
      await broadcaster.close?.();
    })());
  app.addHook('preClose', async () => close());

  if (cfg.driver === 'embedded' && cfg.secretGenerated) log.info('PUSHER_APP_SECRET not set: generated one for this process (set it to use the Pusher HTTP API)');
  log.info({ driver: cfg.driver, key: cfg.key }, 'realtime ready');
  return { broadcaster, server, close };
}
