import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RESYNC_EVENT_NAME } from '@slipway/contracts';
import type { EventBus, RealtimeEvent } from './event-bus.ts';

interface Envelope extends RealtimeEvent {
  origin: string;
}
/** An instance is back on the bus: what it published meanwhile reached no other instance. */
interface ResyncNotice {
  origin: string;
  resync: true;
}

/** This instance's subscriptions, as the channel queries read them. */
export interface LocalChannels {
  occupiedChannels(prefix: string): Iterable<[string, number]>;
}

interface Query {
  qid: string;
  from: string;
  prefix: string;
}
interface QueryReply {
  qid: string;
  channels: [string, number][];
}

/** Instances refresh their entry this often; one silent for 3 periods is taken as gone. */
const HEARTBEAT_MS = 5_000;
const QUERY_TIMEOUT_MS = 1_000;
/** Bound of the wait for the publishing connection before the resync notice is given up. */
const NOTICE_TRIES = 20;
const NOTICE_RETRY_MS = 250;

export interface RedisBusOptions {
  url: string;
  appId: string;
  /** Local delivery: this instance's sockets. */
  deliver: (event: RealtimeEvent) => void;
  /** Answers other instances' channel queries (the HTTP API's /channels), when given. */
  local?: LocalChannels;
  onError: (err: unknown) => void;
  connectTimeoutMs?: number;
}

/**
 * Several Slipway instances behind one load balancer: each event is delivered to this instance's
 * sockets at once and published on Redis; every other instance delivers it to its own sockets.
 * An instance ignores its own echoes, so local delivery never waits on Redis, nor fails with it.
 *
 * Redis pub/sub is at most once: what is published while an instance is off the bus is lost for
 * it. So when its subscription comes back, the instance sends `slipway.resync` to every channel its
 * own sockets hold, and tells the other instances over Redis to do the same (their sockets missed
 * what it published meanwhile); pages then fetch the current state (docs/realtime.md).
 */
export class RedisBus implements EventBus {
  readonly topic: string;
  private readonly queryTopic: string;
  private readonly replyTopic: string;
  private readonly nodesKey: string;
  private readonly pending = new Map<string, (reply: QueryReply) => void>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** The subscription dropped since it was last complete. */
  private offBus = false;
  private closed = false;

  private constructor(
    readonly origin: string,
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly opts: RedisBusOptions,
  ) {
    this.topic = `slipway:realtime:${opts.appId}`;
    this.queryTopic = `${this.topic}:query`;
    this.replyTopic = `${this.topic}:reply:${this.origin}`;
    this.nodesKey = `${this.topic}:nodes`;
  }

  /** Connects both clients; refuses to start (clear error) if Redis cannot be reached in time. */
  static async connect(opts: RedisBusOptions): Promise<RedisBus> {
    const common = {
      lazyConnect: true,
      connectTimeout: opts.connectTimeoutMs ?? 10_000,
      // Publishing while disconnected fails at once instead of piling up in memory.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(times * 200, 2_000),
    };
    const origin = randomUUID();
    // Named, so `CLIENT LIST` tells each instance's connections apart.
    const pub = new Redis(opts.url, { ...common, connectionName: `slipway-${origin}-pub` });
    const sub = new Redis(opts.url, { ...common, enableOfflineQueue: true, connectionName: `slipway-${origin}-sub` });
    pub.on('error', opts.onError);
    sub.on('error', opts.onError);
    try {
      await Promise.all([pub.connect(), sub.connect()]);
    } catch (err) {
      pub.disconnect();
      sub.disconnect();
      throw new Error(`Cannot reach Redis at REDIS_URL (${redactUrl(opts.url)}): ${(err as Error).message}`);
    }
    const bus = new RedisBus(origin, pub, sub, opts);
    sub.on('message', (topic: string, message: string) => bus.onTopic(topic, message));
    await sub.subscribe(...bus.topics);
    sub.on('close', () => (bus.offBus = true));
    sub.on('ready', () => {
      if (bus.offBus && !bus.closed) void bus.onBackOnBus();
    });
    await bus.beat();
    bus.heartbeat = setInterval(() => void bus.beat(), HEARTBEAT_MS);
    bus.heartbeat.unref();
    return bus;
  }

  /** Both connections are up and the subscription is complete (for /metrics). */
  get connected(): boolean {
    return !this.closed && !this.offBus && this.pub.status === 'ready' && this.sub.status === 'ready';
  }

  /**
   * Readiness (`/readyz`): both connections up, the subscription complete, and a PING answered
   * within `timeoutMs`. Rejects saying what is wrong.
   */
  async ping(timeoutMs = 2_000): Promise<void> {
    if (this.closed) throw new Error('the Redis bus is closed');
    if (this.pub.status !== 'ready' || this.sub.status !== 'ready' || this.offBus) {
      throw new Error(`not connected to Redis (${redactUrl(this.opts.url)}): publishing connection ${this.pub.status}, subscription ${this.offBus ? 'lost' : this.sub.status}`);
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Redis did not answer PING within ${timeoutMs} ms`)), timeoutMs)));
    try {
      await Promise.race([this.pub.ping(), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private get topics(): string[] {
    return [this.topic, this.queryTopic, this.replyTopic];
  }

  /**
   * The subscription is back. ioredis resubscribes on its own; subscribing again here (idempotent,
   * answered after its resubscription) tells when events flow again — only then is the hint sent,
   * so a page's refetch cannot miss what comes between.
   */
  private async onBackOnBus(): Promise<void> {
    try {
      await this.sub.subscribe(...this.topics);
    } catch (err) {
      this.opts.onError(err);
      return; // the next 'ready' tries again
    }
    this.offBus = false;
    this.resyncLocal('realtime bus reconnected');
    const notice: ResyncNotice = { origin: this.origin, resync: true };
    for (let i = 0; i < NOTICE_TRIES && !this.closed; i++) {
      try {
        await this.pub.publish(this.topic, JSON.stringify(notice));
        return;
      } catch {
        // The publishing connection may come back a moment after the subscription.
        await new Promise((r) => setTimeout(r, NOTICE_RETRY_MS));
      }
    }
    this.opts.onError(new Error('could not tell the other instances to resync after a Redis reconnect'));
  }

  /** `slipway.resync` to every channel this instance's sockets hold. */
  private resyncLocal(reason: string): void {
    const channels = this.opts.local ? [...this.opts.local.occupiedChannels('')].map(([name]) => name) : [];
    if (channels.length) this.opts.deliver({ channels, name: RESYNC_EVENT_NAME, data: JSON.stringify({ reason }) });
  }

  publish(event: RealtimeEvent): void {
    this.opts.deliver(event);
    const envelope: Envelope = { ...event, origin: this.origin };
    this.pub.publish(this.topic, JSON.stringify(envelope)).catch(this.opts.onError);
  }

  private async beat(): Promise<void> {
    await this.pub.hset(this.nodesKey, this.origin, String(Date.now())).catch(this.opts.onError);
  }

  private onTopic(topic: string, message: string): void {
    if (topic === this.topic) return this.onMessage(message);
    try {
      if (topic === this.queryTopic) {
        const q = JSON.parse(message) as Query;
        if (q.from === this.origin || !this.opts.local) return;
        const reply: QueryReply = { qid: q.qid, channels: [...this.opts.local.occupiedChannels(q.prefix)] };
        this.pub.publish(`${this.topic}:reply:${q.from}`, JSON.stringify(reply)).catch(this.opts.onError);
      } else if (topic === this.replyTopic) {
        const r = JSON.parse(message) as QueryReply;
        this.pending.get(r.qid)?.(r);
      }
    } catch (err) {
      this.opts.onError(err);
    }
  }

  /**
   * Occupied channels across every live instance, with subscriber counts summed: asks the others
   * over Redis and waits for as many answers as instances heartbeat, at most one second.
   */
  async clusterChannels(prefix: string): Promise<Map<string, number>> {
    const totals = new Map<string, number>(this.opts.local ? [...this.opts.local.occupiedChannels(prefix)] : []);
    let others = 0;
    try {
      const nodes = await this.pub.hgetall(this.nodesKey);
      const now = Date.now();
      for (const [id, ts] of Object.entries(nodes)) if (id !== this.origin && now - Number(ts) < 3 * HEARTBEAT_MS) others++;
    } catch (err) {
      this.opts.onError(err);
      return totals;
    }
    if (others === 0) return totals;
    const qid = randomUUID();
    await new Promise<void>((resolve) => {
      let answered = 0;
      const timer = setTimeout(done, QUERY_TIMEOUT_MS);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.pending.set(qid, (reply) => {
        for (const [name, n] of reply.channels) totals.set(name, (totals.get(name) ?? 0) + n);
        if (++answered >= others) done();
      });
      this.pub.publish(this.queryTopic, JSON.stringify({ qid, from: this.origin, prefix } satisfies Query)).catch((err) => {
        this.opts.onError(err);
        done();
      });
    });
    this.pending.delete(qid);
    return totals;
  }

  private onMessage(message: string): void {
    let env: Envelope;
    try {
      env = JSON.parse(message) as Envelope;
    } catch (err) {
      this.opts.onError(err);
      return;
    }
    if (env.origin === this.origin) return;
    if ((env as Partial<ResyncNotice>).resync === true) return this.resyncLocal('another instance reconnected to the realtime bus');
    if (!Array.isArray(env.channels) || typeof env.name !== 'string' || typeof env.data !== 'string') return;
    this.opts.deliver({ channels: env.channels, name: env.name, data: env.data, exceptSocketId: env.exceptSocketId });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    await this.pub.hdel(this.nodesKey, this.origin).catch(() => {});
    await Promise.allSettled([this.sub.quit(), this.pub.quit()]);
  }
}

/** Credentials never appear in logs or errors. See docs/security.md. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://…';
  }
}
