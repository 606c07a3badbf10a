import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { CachedEvent, ChannelState, Members, Orphans } from './channel-state.ts';
import type { PresenceMember } from './presence.ts';
import { redactUrl } from './redis-bus.ts';

// Atomic, so two instances admitting the same user at once still count it once, and the member
// limit holds across instances. KEYS: socket counts per user, user_info per user, this instance's
// own share (so that others can undo it if it dies); ARGV[4] names the share's field.
const JOIN = `
local n = redis.call('HGET', KEYS[1], ARGV[1])
if not n and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return {-1, {}} end
local c = redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
if c == 1 then redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) end
redis.call('HINCRBY', KEYS[3], ARGV[4], 1)
return {c, redis.call('HGETALL', KEYS[2])}`;
const LEAVE = `
local own = redis.call('HINCRBY', KEYS[3], ARGV[2], -1)
if own <= 0 then redis.call('HDEL', KEYS[3], ARGV[2]) end
local c = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if c > 0 then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1`;
const OCCUPANCY = `
local own = redis.call('HINCRBY', KEYS[2], ARGV[1], tonumber(ARGV[2]))
if own <= 0 then redis.call('HDEL', KEYS[2], ARGV[1]) end
local c = redis.call('HINCRBY', KEYS[1], ARGV[1], tonumber(ARGV[2]))
if c <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) return 0 end
return c`;

/** Instances refresh their entry this often; one silent for 3 periods is taken as dead and its share undone. */
export const STATE_HEARTBEAT_MS = 5_000;
const SEP = '\n';

/** user_info is stored as its JSON, or this for "none" (JSON never starts with `!`). */
const NO_INFO = '!';

/**
 * Channel state in Redis, shared by every instance (see `ChannelState`). Its own connection: the
 * bus's subscriber connection cannot run commands, and its publisher fails fast when offline.
 * Each instance also records its own share (members it added, channels it holds) under its id and
 * heartbeats; when one stops for 3 periods (it died without closing), another undoes its share, so
 * its members get member_removed and its channels channel_vacated.
 */
export class RedisChannelState implements ChannelState {
  readonly origin = randomUUID();
  onOrphans: ((orphans: Orphans) => void) | null = null;
  private heartbeat: NodeJS.Timeout | undefined;

  private constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly cacheTtlMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  private get nodesKey() {
    return `${this.prefix}:state-nodes`;
  }
  private shareKeys(origin: string): [presence: string, occupancy: string] {
    return [`${this.prefix}:node:${origin}:presence`, `${this.prefix}:node:${origin}:occupancy`];
  }

  /** Refreshes this instance's entry, and undoes the share of any instance silent for too long. */
  async beat(now = Date.now()): Promise<void> {
    await this.redis.hset(this.nodesKey, this.origin, String(now));
    const nodes = await this.redis.hgetall(this.nodesKey);
    for (const [origin, ts] of Object.entries(nodes)) {
      if (origin === this.origin || now - Number(ts) < 3 * STATE_HEARTBEAT_MS) continue;
      // Whoever removes the entry cleans up; the others see 0 and leave it.
      if ((await this.redis.hdel(this.nodesKey, origin)) === 1) await this.undoShare(origin);
    }
  }

  private async undoShare(origin: string): Promise<void> {
    const [presenceKey, occupancyKey] = this.shareKeys(origin);
    const orphans: Orphans = { removed: [], vacated: [] };
    for (const [field, n] of Object.entries(await this.redis.hgetall(presenceKey))) {
      const [channel, userId] = field.split(SEP) as [string, string];
      for (let i = 0; i < Number(n); i++) {
        if ((await this.redis.eval(LEAVE, 3, ...this.keys(channel), presenceKey, userId, field)) === 1) orphans.removed.push([channel, userId]);
      }
    }
    for (const [channel, n] of Object.entries(await this.redis.hgetall(occupancyKey))) {
      let left = -1;
      for (let i = 0; i < Number(n); i++) left = (await this.redis.eval(OCCUPANCY, 2, `${this.prefix}:occupancy`, occupancyKey, channel, '-1')) as number;
      if (left === 0) orphans.vacated.push(channel);
    }
    await this.redis.del(presenceKey, occupancyKey);
    if (orphans.removed.length > 0 || orphans.vacated.length > 0) this.onOrphans?.(orphans);
  }

  static async connect(opts: { url: string; appId: string; cacheTtlMs: number; onError: (err: unknown) => void; connectTimeoutMs?: number }): Promise<RedisChannelState> {
    const redis = new Redis(opts.url, { lazyConnect: true, connectTimeout: opts.connectTimeoutMs ?? 10_000, maxRetriesPerRequest: 1, retryStrategy: (n: number) => Math.min(n * 200, 2_000) });
    redis.on('error', opts.onError);
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw new Error(`Cannot reach Redis at REDIS_URL (${redactUrl(opts.url)}): ${(err as Error).message}`);
    }
    const state = new RedisChannelState(redis, `slipway:realtime:${opts.appId}`, opts.cacheTtlMs, opts.onError);
    await state.beat();
    state.heartbeat = setInterval(() => state.beat().catch(opts.onError), STATE_HEARTBEAT_MS);
    state.heartbeat.unref();
    return state;
  }

  private keys(channel: string): [string, string] {
    return [`${this.prefix}:presence:${channel}:sockets`, `${this.prefix}:presence:${channel}:info`];
  }

  async join(channel: string, member: PresenceMember, maxMembers: number) {
    const share = this.shareKeys(this.origin)[0];
    const [count, flat] = (await this.redis.eval(JOIN, 3, ...this.keys(channel), share, member.id, member.info ?? NO_INFO, String(maxMembers), `${channel}${SEP}${member.id}`)) as [number, string[]];
    if (count < 0) return null;
    return { added: count === 1, members: toMembers(flat) };
  }

  async leave(channel: string, userId: string): Promise<boolean> {
    return (await this.redis.eval(LEAVE, 3, ...this.keys(channel), this.shareKeys(this.origin)[0], userId, `${channel}${SEP}${userId}`)) === 1;
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
    return (await this.redis.eval(OCCUPANCY, 2, `${this.prefix}:occupancy`, this.shareKeys(this.origin)[1], channel, String(delta))) as number;
  }

  /** Stops the heartbeat and disconnects; what this instance still holds was left by the server's close. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.redis.hdel(this.nodesKey, this.origin).catch(() => {});
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

function toMembers(flat: string[]): Members {
  const out: Members = new Map();
  for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i]!, flat[i + 1] === NO_INFO ? undefined : flat[i + 1]);
  return out;
}
