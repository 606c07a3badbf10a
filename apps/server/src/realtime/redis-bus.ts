import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { EventBus, RealtimeEvent } from './event-bus.ts';

interface Envelope extends RealtimeEvent {
  origin: string;
}

export interface RedisBusOptions {
  url: string;
  appId: string;
  /** Local delivery: this instance's sockets. */
  deliver: (event: RealtimeEvent) => void;
  onError: (err: unknown) => void;
  connectTimeoutMs?: number;
}

/**
 * Several Slipway instances behind one load balancer: each event is delivered to this instance's
 * sockets at once and published on Redis; every other instance delivers it to its own sockets.
 * An instance ignores its own echoes, so local delivery never waits on Redis, nor fails with it.
 */
export class RedisBus implements EventBus {
  readonly origin = randomUUID();
  readonly topic: string;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly opts: RedisBusOptions,
  ) {
    this.topic = `slipway:realtime:${opts.appId}`;
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
    const pub = new Redis(opts.url, common);
    const sub = new Redis(opts.url, { ...common, enableOfflineQueue: true });
    pub.on('error', opts.onError);
    sub.on('error', opts.onError);
    try {
      await Promise.all([pub.connect(), sub.connect()]);
    } catch (err) {
      pub.disconnect();
      sub.disconnect();
      throw new Error(`Cannot reach Redis at REDIS_URL (${redactUrl(opts.url)}): ${(err as Error).message}`);
    }
    const bus = new RedisBus(pub, sub, opts);
    sub.on('message', (_topic: string, message: string) => bus.onMessage(message));
    await sub.subscribe(bus.topic);
    return bus;
  }

  publish(event: RealtimeEvent): void {
    this.opts.deliver(event);
    const envelope: Envelope = { ...event, origin: this.origin };
    this.pub.publish(this.topic, JSON.stringify(envelope)).catch(this.opts.onError);
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
    if (!Array.isArray(env.channels) || typeof env.name !== 'string' || typeof env.data !== 'string') return;
    this.opts.deliver({ channels: env.channels, name: env.name, data: env.data, exceptSocketId: env.exceptSocketId });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.sub.quit(), this.pub.quit()]);
  }
}

/** Credentials never appear in logs or errors (DESIGN.md §5). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'redis://…';
  }
}
