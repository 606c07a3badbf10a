import { Redis } from 'ioredis';
import type { CachedEvent, ChannelState, Members } from './channel-state.ts';
import type { PresenceMember } from './presence.ts';
import { redactUrl } from './redis-bus.ts';

// Atomic, so two instances admitting the same user at once still count it once, and the member
// limit holds across instances. KEYS: socket counts per user, user_info per user.
const JOIN = `
local n = redis.call('HGET', KEYS[1], ARGV[1])
if not n and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return {-1, {}} end
local c = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
if c == 1 then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
return {c, redis.call('HGETALL', KEYS[2])}`;
const LEAVE = `
local c = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if c > 0 then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`;
const OCCUPANCY = `
local c = redis.call('HINCRBY', KEYS[1], ARGV[1], tonumber(ARGV[2]))
if c <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) return 0 end
return c`;

/** user_info is stored as its JSON, or this for "none" (JSON never starts with `!`). */
const NO_INFO = '!';

/**
 * Channel state in Redis, shared by every instance (see `ChannelState`). Its own connection: the
 * bus's subscriber connection cannot run commands, and its publisher fails fast when offline.
 * Known gap: an instance that dies without closing leaves its presence members in Redis.
 */
export class RedisChannelState implements ChannelState {
  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cacheTtlMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  static async connect(opts: { url: string; appId: string; cacheTtlMs: number; onError: (err: unknown) => void; connectTimeoutMs?: number }): Promise<RedisChannelState> {
    const redis = new Redis(opts.url, { lazyConnect: true, connectTimeout: opts.connectTimeoutMs ?? 10_000, maxRetriesPerRequest: 1, retryStrategy: (n: number) => Math.min(n * 200, 2_000) });
    redis.on('error', opts.onError);
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw new Error(`Cannot reach Redis at REDIS_URL (${redactUrl(opts.url)}): ${(err as Error).message}`);
    }
    return new RedisChannelState(redis, `slipway:realtime:${opts.appId}`, opts.cacheTtlMs, opts.onError);
  }

  private keys(channel: string): [string, string] {
    return [`${this.prefix}:presence:${channel}:sockets`, `${this.prefix}:presence:${channel}:info`];
  }

  async join(channel: string, member: PresenceMember, maxMembers: number) {
    const [count, flat] = (await this.redis.eval(JOIN, 2, ...this.keys(channel), member.id, member.info ?? NO_INFO, String(maxMembers))) as [number, string[]];
    if (count < 0) return null;
    return { added: count === 1, members: toMembers(flat) };
  }

  async leave(channel: string, userId: string): Promise<boolean> {
    return (await this.redis.eval(LEAVE, 2, ...this.keys(channel), userId)) === 1;
  }

  async members(channel: string): Promise<Members> {
    const all = await this.redis.hgetall(this.keys(channel)[1]);
    return toMembers(Object.entries(all).flat());
  }

  remember(channel: string, event: CachedEvent): void {
    this.redis.set(`${this.prefix}:cache:${channel}`, JSON.stringify(event), 'PX', this.cacheTtlMs).catch(this.onError);
  }

  async recall(channel: string): Promise<CachedEvent | null> {
    const raw = await this.redis.get(`${this.prefix}:cache:${channel}`);
    return raw ? (JSON.parse(raw) as CachedEvent) : null;
  }

  async occupancy(channel: string, delta: 1 | -1): Promise<number> {
    return (await this.redis.eval(OCCUPANCY, 1, `${this.prefix}:occupancy`, channel, String(delta))) as number;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function toMembers(flat: string[]): Members {
  const out: Members = new Map();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i]!, flat[i + 1] === NO_INFO ? undefined : flat[i + 1]);
  return out;
}
