/**
 * Several instances behind one load balancer: an event accepted by instance A reaches sockets
 * held by instance B, through a real Redis server started for this file.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Pusher from 'pusher';
import { Redis } from 'ioredis';
import { startRedis, type RedisServer } from '../test-support/redis.ts';
import { nextCall, pusherClient, sampleChange, startTestApp, TEST_SECRET, type PusherJs, type TestApp } from './testing.ts';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function instance(url = redis.url): Promise<TestApp> {
  const t = await startTestApp({ driver: 'redis', redisUrl: url, secret: TEST_SECRET });
  cleanups.push(() => t.close());
  return t;
}
async function subscribed(t: TestApp, token: string, channelName: string) {
  const p: PusherJs = pusherClient(t, token);
  cleanups.push(() => p.disconnect());
  const channel = p.subscribe(channelName);
  await nextCall((cb) => channel.bind('pusher:subscription_succeeded', cb), `subscribed to ${channelName}`);
  return channel;
}

describe('Redis adapter', () => {
  it('delivers a deployment change accepted by instance A to a pusher-js client on instance B, and on A', async () => {
    const [a, b] = [await instance(), await instance()];
    const onB = await subscribed(b, 'alice-token', 'private-App.Models.User.1');
    const onA = await subscribed(a, 'admin-token', 'private-deployments');
    const gotB = nextCall<any>((cb) => onB.bind('deployment.status-updated', cb), 'event on B');
    const gotA = nextCall<any>((cb) => onA.bind('deployment.status-updated', cb), 'event on A');
    a.realtime.broadcaster.publish(sampleChange(1, 4));
    expect((await gotB).sequence).toBe(4);
    expect((await gotA).sequence).toBe(4);
  });

  it('shares HTTP API publishes between instances, delivered once per socket', async () => {
    const [a, b] = [await instance(), await instance()];
    const onB = await subscribed(b, 'alice-token', 'news');
    const seen: unknown[] = [];
    onB.bind('hello', (d: unknown) => seen.push(d));
    const sdk = new Pusher({ appId: a.config.appId, key: a.config.key, secret: TEST_SECRET, host: '127.0.0.1', port: String(a.port), useTLS: false });
    await sdk.trigger('news', 'hello', { n: 1 });
    const marker = nextCall((cb) => onB.bind('marker', cb), 'marker');
    await sdk.trigger('news', 'marker', {});
    await marker;
    expect(seen).toEqual([{ n: 1 }]);
  });

  it("answers the HTTP API's channel queries for every instance's sockets", async () => {
    const [a, b] = [await instance(), await instance()];
    await subscribed(a, 'alice-token', 'news');
    await subscribed(b, 'bob-token', 'news');
    await subscribed(b, 'bob-token', 'private-App.Models.User.2');
    const sdk = new Pusher({ appId: a.config.appId, key: a.config.key, secret: TEST_SECRET, host: '127.0.0.1', port: String(a.port), useTLS: false });
    const one = await (await sdk.get({ path: '/channels/news', params: { info: 'subscription_count' } })).json();
    expect(one).toEqual({ occupied: true, subscription_count: 2 });
    const all = await (await sdk.get({ path: '/channels', params: { info: 'subscription_count' } })).json();
    expect(all.channels).toEqual({ news: { subscription_count: 2 }, 'private-App.Models.User.2': { subscription_count: 1 } });
  });

  it('keeps delivering locally while Redis is down, and across instances again once it is back', async () => {
    const own = await startRedis();
    cleanups.push(() => own.stop());
    const [a, b] = [await instance(own.url), await instance(own.url)];
    const onA = await subscribed(a, 'alice-token', 'private-App.Models.User.1');
    const onB = await subscribed(b, 'alice-token', 'private-App.Models.User.1');
    await own.stop();
    const local = nextCall<any>((cb) => onA.bind('deployment.status-updated', cb), 'local event with Redis down');
    expect(() => a.realtime.broadcaster.publish(sampleChange(1, 1))).not.toThrow();
    expect((await local).sequence).toBe(1);

    const again = await startRedis(own.port);
    cleanups.push(() => again.stop());
    // ioredis reconnects on its own and resubscribes; publish until B hears one.
    const got = nextCall<any>((cb) => onB.bind('deployment.status-updated', cb), 'event on B after Redis restart', 20_000);
    let seq = 2;
    const timer = setInterval(() => a.realtime.broadcaster.publish(sampleChange(1, seq++)), 250);
    try {
      expect((await got).sequence).toBeGreaterThanOrEqual(2);
    } finally {
      clearInterval(timer);
    }
  });

  it('after Redis comes back, a pusher-js client on B that missed an event gets slipway.resync on its channel, without reconnecting', async () => {
    const own = await startRedis();
    cleanups.push(() => own.stop());
    const [a, b] = [await instance(own.url), await instance(own.url)];
    const onB = await subscribed(b, 'alice-token', 'private-App.Models.User.1');
    const client = (onB as unknown as { pusher: PusherJs }).pusher;
    const socketBefore = client.connection.socket_id;
    const seen: number[] = [];
    onB.bind('deployment.status-updated', (d: { sequence: number }) => seen.push(d.sequence));
    const hints: unknown[] = [];
    onB.bind('slipway.resync', (d: unknown) => hints.push(d));

    await own.stop();
    a.realtime.broadcaster.publish(sampleChange(1, 7)); // lost for B: at most once
    const again = await startRedis(own.port);
    cleanups.push(() => again.stop());
    await nextCall((cb) => onB.bind('slipway.resync', cb), 'resync hint on B', 20_000);
    expect(seen).toEqual([]);
    expect(hints[0]).toEqual({ reason: expect.any(String) });
    // The same socket: the page converges by refetching, not by a reload or a reconnect.
    expect(client.connection.socket_id).toBe(socketBefore);
    expect(client.connection.state).toBe('connected');
  });

  it('when only A was cut off the bus, the browsers on B (which missed what A published meanwhile) get slipway.resync too', async () => {
    const own = await startRedis();
    cleanups.push(() => own.stop());
    await instance(own.url); // A
    const b = await instance(own.url);
    const onB = await subscribed(b, 'alice-token', 'private-App.Models.User.1');
    const admin = new Redis(own.url);
    cleanups.push(() => admin.quit());
    // The instances' subscriptions, oldest first: A connected before B.
    const subs = String(await admin.client('LIST'))
      .split('\n')
      .map((l) => ({ id: Number(/\bid=(\d+)/.exec(l)?.[1]), name: /\bname=(\S*)/.exec(l)?.[1] ?? '' }))
      .filter((c) => /^slipway-.+-sub$/.test(c.name))
      .sort((x, y) => x.id - y.id);
    expect(subs).toHaveLength(2);
    const hint = nextCall<any>((cb) => onB.bind('slipway.resync', cb), 'resync hint on B', 20_000);
    // Only A's subscription drops; B stays on the bus and has no reason of its own to resync.
    await admin.client('KILL', 'ID', String(subs[0]!.id));
    expect(await hint).toEqual({ reason: 'another instance reconnected to the realtime bus' });
  });

  it('refuses to start, with a clear message, when Redis cannot be reached', async () => {
    await expect(startTestApp({ driver: 'redis', redisUrl: 'redis://:secret-pass@127.0.0.1:1', secret: TEST_SECRET })).rejects.toThrow(/Cannot reach Redis.*\*\*\*/);
  });
});
