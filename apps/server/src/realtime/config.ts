import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * Realtime configuration, read from Laravel's Pusher variable names (docs/contracts.md) plus Slipway's
 * limits. Which adapter runs is decided here, once: `external` when PUSHER_HOST names a service (or
 * REALTIME_DRIVER says so), `redis` when REDIS_URL is set, otherwise `embedded`.
 */

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])]).transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

/** Fixed, public development values: the key is public anyway (the browser sees it). */
export const DEFAULT_APP_ID = 'slipway';
export const DEFAULT_APP_KEY = 'slipway-key';

export const realtimeConfigSchema = z
  .object({
    driver: z.enum(['embedded', 'redis', 'external']),
    appId: z.string().min(1).max(100),
    key: z.string().min(1).max(200).regex(/^[A-Za-z0-9_-]+$/, 'app key: letters, digits, _ and - only'),
    secret: z.string().min(8),
    /** True when the secret was generated at start (single embedded instance only). */
    secretGenerated: z.boolean().default(false),
    /** External service (PUSHER_HOST/PORT/SCHEME), or the host the browser should use (null: the page's own). */
    host: z.string().min(1).nullable().default(null),
    port: int(1, 65535).nullable().default(null),
    scheme: z.enum(['http', 'https']).nullable().default(null),
    cluster: z.string().min(1).default('mt1'),
    redisUrl: z.string().min(1).nullable().default(null),
    /** Channel a user may join; `{id}` is the user id. Laravel's default model channel. */
    userChannelPattern: z.string().includes('{id}').default('private-App.Models.User.{id}'),
    /** Channel admins may join to follow every deployment. */
    adminChannel: z.string().min(1).default('private-deployments'),
    /** Seconds of silence before the server pings (advertised to clients as `activity_timeout`). */
    activityTimeout: int(1, 3600).default(120),
    /** Seconds to wait for a pong before closing with 4201. */
    pongTimeout: int(1, 600).default(30),
    maxConnections: int(1, 1_000_000).default(10_000),
    /**
     * Per client address (IPv6 by /64): open sockets, and new sockets per second with a burst, so
     * one client cannot take every slot. Behind a proxy, the address is only the client's when
     * the proxy is trusted (SLIPWAY_TRUST_PROXY); otherwise every client shares the proxy's.
     */
    maxConnectionsPerAddress: int(1, 1_000_000).default(100),
    connectionRatePerAddress: int(1, 100_000).default(10),
    connectionBurstPerAddress: int(1, 100_000).default(100),
    /** Seconds a socket may stay subscribed to nothing (right after connecting, or after leaving every channel); then 4202. */
    subscribeTimeout: int(1, 86_400).default(60),
    /** `POST /broadcasting/auth` per client address and minute; beyond it, 429. */
    authRatePerMinute: int(1, 1_000_000).default(60),
    /** Largest WebSocket frame a client may send; bigger ones close the connection (1009). */
    maxFrameBytes: int(1024, 16 * 1024 * 1024).default(32 * 1024),
    maxChannelsPerConnection: int(1, 10_000).default(100),
    /** Inbound messages per connection: sustained rate per second and burst. Beyond it: 4301 and close. */
    messageRate: int(1, 100_000).default(20),
    messageBurst: int(1, 100_000).default(200),
    clientEvents: bool.default(false),
    /** A socket with more than this queued and unsent is a client that stopped reading: dropped. */
    maxBufferedBytes: int(16 * 1024, 1024 * 1024 * 1024).default(1024 * 1024),
    /** Pusher's limits on the HTTP API. */
    maxEventBytes: int(1, 10 * 1024 * 1024).default(10 * 1024),
    maxEventChannels: int(1, 10_000).default(100),
    maxBatchSize: int(1, 10_000).default(10),
    /** Origins (scheme://host[:port]) whose pages may call /broadcasting/auth, /api/config and the HTTP API; none: same-origin only. */
    corsOrigins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'CORS origin: scheme://host[:port], no path')).default([]),
    /** Presence: members per channel (Pusher: 100), and bytes of one member's `user_info` (Pusher: 1 KB). */
    maxPresenceMembers: int(1, 100_000).default(100),
    maxPresenceUserInfoBytes: int(16, 64 * 1024).default(1024),
    /** How long a cache channel keeps its last event (Pusher: 30 min). */
    cacheTtlSeconds: int(1, 7 * 86_400).default(1800),
    /** Seconds a socket may stay without `pusher:signin` before it is closed (4009); 0: never. */
    signinTimeout: int(0, 86_400).default(0),
    /** Webhooks to the application: where (none: off), batching, and retries with doubling backoff. */
    webhookUrl: z.url({ protocol: /^https?$/ }).nullable().default(null),
    webhookBatchMs: int(0, 60_000).default(1000),
    webhookMaxAttempts: int(1, 20).default(5),
    webhookRetryBaseMs: int(10, 600_000).default(1000),
  })
  .superRefine((c, ctx) => {
    if (c.driver === 'redis' && !c.redisUrl) ctx.addIssue({ code: 'custom', message: 'REDIS_URL is required for the redis driver', path: ['redisUrl'] });
    if (c.driver !== 'embedded' && c.secretGenerated)
      ctx.addIssue({ code: 'custom', message: `PUSHER_APP_SECRET is required with the ${c.driver} driver (every instance must sign alike)`, path: ['secret'] });
  });

export type RealtimeConfig = z.infer<typeof realtimeConfigSchema>;
export type RealtimeConfigInput = z.input<typeof realtimeConfigSchema>;

const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());

/**
 * Reads the environment. PUSHER_APP_ID/KEY default to fixed dev values; PUSHER_APP_SECRET, when
 * absent, is generated per process, which suits one embedded instance (the HTTP API then needs the
 * secret set explicitly) and is refused for redis/external, where instances must share it.
 */
export function readRealtimeConfig(env: Record<string, string | undefined> = process.env): RealtimeConfig {
  const host = nonEmpty(env.PUSHER_HOST);
  const redisUrl = nonEmpty(env.REDIS_URL);
  const explicit = nonEmpty(env.REALTIME_DRIVER);
  const driver = explicit ?? (host ? 'external' : redisUrl ? 'redis' : 'embedded');
  const secret = nonEmpty(env.PUSHER_APP_SECRET);
  const raw = {
    driver,
    appId: nonEmpty(env.PUSHER_APP_ID) ?? DEFAULT_APP_ID,
    key: nonEmpty(env.PUSHER_APP_KEY) ?? DEFAULT_APP_KEY,
    secret: secret ?? randomBytes(24).toString('hex'),
    secretGenerated: secret === undefined,
    host: host ?? null,
    port: nonEmpty(env.PUSHER_PORT) ?? null,
    scheme: nonEmpty(env.PUSHER_SCHEME) ?? null,
    cluster: nonEmpty(env.PUSHER_APP_CLUSTER),
    redisUrl: redisUrl ?? null,
    userChannelPattern: nonEmpty(env.REALTIME_USER_CHANNEL_PATTERN),
    adminChannel: nonEmpty(env.REALTIME_ADMIN_CHANNEL),
    activityTimeout: nonEmpty(env.REALTIME_ACTIVITY_TIMEOUT),
    pongTimeout: nonEmpty(env.REALTIME_PONG_TIMEOUT),
    maxConnections: nonEmpty(env.REALTIME_MAX_CONNECTIONS),
    maxConnectionsPerAddress: nonEmpty(env.REALTIME_MAX_CONNECTIONS_PER_IP),
    connectionRatePerAddress: nonEmpty(env.REALTIME_CONNECTION_RATE_PER_IP),
    connectionBurstPerAddress: nonEmpty(env.REALTIME_CONNECTION_BURST_PER_IP),
    subscribeTimeout: nonEmpty(env.REALTIME_SUBSCRIBE_TIMEOUT_SECONDS),
    authRatePerMinute: nonEmpty(env.REALTIME_AUTH_RATE_PER_MINUTE),
    maxFrameBytes: nonEmpty(env.REALTIME_MAX_FRAME_BYTES),
    maxChannelsPerConnection: nonEmpty(env.REALTIME_MAX_CHANNELS_PER_CONNECTION),
    messageRate: nonEmpty(env.REALTIME_MESSAGE_RATE),
    messageBurst: nonEmpty(env.REALTIME_MESSAGE_BURST),
    clientEvents: nonEmpty(env.REALTIME_CLIENT_EVENTS),
    maxBufferedBytes: nonEmpty(env.REALTIME_MAX_BUFFERED_BYTES),
    maxEventBytes: nonEmpty(env.REALTIME_MAX_EVENT_BYTES),
    corsOrigins: (nonEmpty(env.REALTIME_CORS_ORIGINS) ?? '').split(',').map((o) => o.trim().replace(/\/$/, '')).filter(Boolean),
    maxPresenceMembers: nonEmpty(env.REALTIME_MAX_PRESENCE_MEMBERS),
    maxPresenceUserInfoBytes: nonEmpty(env.REALTIME_MAX_PRESENCE_USER_INFO_BYTES),
    cacheTtlSeconds: nonEmpty(env.REALTIME_CACHE_TTL_SECONDS),
    signinTimeout: nonEmpty(env.REALTIME_SIGNIN_TIMEOUT_SECONDS),
    webhookUrl: nonEmpty(env.REALTIME_WEBHOOK_URL) ?? null,
    webhookBatchMs: nonEmpty(env.REALTIME_WEBHOOK_BATCH_MS),
    webhookMaxAttempts: nonEmpty(env.REALTIME_WEBHOOK_MAX_ATTEMPTS),
    webhookRetryBaseMs: nonEmpty(env.REALTIME_WEBHOOK_RETRY_BASE_MS),
  };
  return realtimeConfigSchema.parse(raw);
}

/** A complete config from partial input, for tests and embedding: validated like the env path. */
export function realtimeConfig(input: Partial<RealtimeConfigInput> = {}): RealtimeConfig {
  return realtimeConfigSchema.parse({
    driver: 'embedded',
    appId: DEFAULT_APP_ID,
    key: DEFAULT_APP_KEY,
    secret: input.secret ?? randomBytes(24).toString('hex'),
    secretGenerated: input.secret === undefined && (input.driver ?? 'embedded') === 'embedded' ? true : false,
    ...input,
  });
}
