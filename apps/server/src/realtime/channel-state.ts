import type { PresenceMember } from './presence.ts';

/** Presence members: user id → `user_info` JSON (undefined when none). */
export type Members = Map<string, string | undefined>;

/** What a dead instance held, undone by another: members gone, channels now empty everywhere. */
export interface Orphans {
  removed: [channel: string, userId: string][];
  vacated: string[];
}

export interface CachedEvent {
  name: string;
  data: string;
}

/**
 * What channels hold beyond their sockets, shared by every instance when there are several:
 * presence members (a user counts once, however many sockets), the last event of cache channels,
 * and how many instances hold a channel (for `channel_occupied`/`channel_vacated` webhooks).
 * `LocalChannelState` for one instance; `RedisChannelState` for several.
 */
export interface ChannelState {
  /** One more socket of `member`; `added` when it is the user's first. Null: the channel is full. */
  join(channel: string, member: PresenceMember, maxMembers: number): Promise<{ added: boolean; members: Members } | null>;
  /** One socket of the user fewer; true when it was the user's last (the member is gone). */
  leave(channel: string, userId: string): Promise<boolean>;
  members(channel: string): Promise<Members>;
  /** Keeps the last event of a cache channel (for `cacheTtlSeconds`). */
  remember(channel: string, event: CachedEvent): void;
  recall(channel: string): Promise<CachedEvent | null>;
  /** This instance gained (+1) or lost (-1) its last socket on the channel; answers how many instances now hold it. */
  occupancy(channel: string, delta: 1 | -1): Promise<number>;
  /** Set by the server: a dead instance's members and channels were cleaned up (Redis only). */
  onOrphans: ((orphans: Orphans) => void) | null;
  close(): Promise<void>;
}

/** Cache entries kept at most on one instance: the oldest go first beyond it. */
const MAX_CACHED_CHANNELS = 10_000;

export class LocalChannelState implements ChannelState {
  private readonly presence = new Map<string, Map<string, { info: string | undefined; sockets: number }>>();
  private readonly cache = new Map<string, CachedEvent & { expires: number }>();
  private readonly occupied = new Map<string, number>();
  /** One process: nothing outlives it, so never called. */
  onOrphans: ((orphans: Orphans) => void) | null = null;

  constructor(
    private readonly cacheTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async join(channel: string, member: PresenceMember, maxMembers: number) {
    let users = this.presence.get(channel);
    const known = users?.get(member.id);
    if (!known && (users?.size ?? 0) >= maxMembers) return null;
    if (!users) this.presence.set(channel, (users = new Map()));
    if (known) known.sockets++;
    else users.set(member.id, { info: member.info, sockets: 1 });
    return { added: !known, members: this.snapshot(users) };
  }

  async leave(channel: string, userId: string): Promise<boolean> {
    const users = this.presence.get(channel);
    const known = users?.get(userId);
    if (!users || !known) return false;
    if (--known.sockets > 0) return false;
    users.delete(userId);
    if (users.size === 0) this.presence.delete(channel);
    return true;
  }

  async members(channel: string): Promise<Members> {
    return this.snapshot(this.presence.get(channel));
  }

  private snapshot(users: Map<string, { info: string | undefined }> | undefined): Members {
    return new Map([...(users ?? [])].map(([id, u]) => [id, u.info]));
  }

  remember(channel: string, event: CachedEvent): void {
    this.cache.delete(channel); // re-inserted last: Map order is then oldest-first
    this.cache.set(channel, { ...event, expires: this.now() + this.cacheTtlMs });
    if (this.cache.size > MAX_CACHED_CHANNELS) this.cache.delete(this.cache.keys().next().value!);
  }

  async recall(channel: string): Promise<CachedEvent | null> {
    const e = this.cache.get(channel);
    if (!e) return null;
    if (e.expires <= this.now()) {
      this.cache.delete(channel);
      return null;
    }
    return { name: e.name, data: e.data };
  }

  async occupancy(channel: string, delta: 1 | -1): Promise<number> {
    const n = (this.occupied.get(channel) ?? 0) + delta;
    if (n <= 0) this.occupied.delete(channel);
    else this.occupied.set(channel, n);
    return Math.max(0, n);
  }

  async close(): Promise<void> {}
}
