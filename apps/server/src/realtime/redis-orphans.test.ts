/**
 * An instance that dies without closing (SIGKILL, a lost host) leaves its presence members and
 * channel occupancy in Redis. The live instances notice its heartbeat stopped and undo its share:
 * pusher-js on a live instance gets member_removed, and the application its webhooks.
 */
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { clusterHarness, unique } from './cluster.testing.ts';
import { RedisChannelState, STATE_HEARTBEAT_MS } from './redis-channel-state.ts';
import { appAuthClient, nextCall, startTestApp, TEST_SECRET } from './testing.ts';

const h = clusterHarness();

describe('a dead instance’s presence share', () => {
  it('is undone by a live instance: member_removed to its watchers, member_removed and channel_vacated to the application', async () => {
    const hooks: any[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        hooks.push(...JSON.parse(body).events);
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    h.cleanups.push(() => new Promise((r) => receiver.close(r)));
    const port = (receiver.address() as { port: number }).port;
    const a = await startTestApp({ driver: 'redis', redisUrl: h.redisUrl(), secret: TEST_SECRET, webhookUrl: `http://127.0.0.1:${port}/hook`, webhookBatchMs: 10 });
    h.cleanups.push(() => a.close());

    // The instance that will die: its state in Redis, as it would hold it with one member on `room`.
    const room = unique('presence-orphan-');
    const doomed = await RedisChannelState.connect({ url: h.redisUrl(), appId: a.config.appId, cacheTtlMs: 60_000, onError: () => {} });
    await doomed.join(room, { id: 'ghost', info: '{"name":"ghost"}' }, 100);
    await doomed.occupancy(unique('lonely-'), 1);
    // It dies: no leave, no close; its last heartbeat is long past.
    clearInterval((doomed as unknown as { heartbeat: NodeJS.Timeout }).heartbeat);
    (doomed as unknown as { redis: Redis }).redis.disconnect();
    const admin = new Redis(h.redisUrl());
    h.cleanups.push(() => admin.quit());
    await admin.hset(`slipway:realtime:${a.config.appId}:state-nodes`, doomed.origin, String(Date.now() - 4 * STATE_HEARTBEAT_MS));

    const alice = h.later(appAuthClient(a, { id: 'alice' }));
    const ch = alice.subscribe(room) as any;
    const members = await nextCall<any>((cb) => ch.bind('pusher:subscription_succeeded', cb), 'alice in');
    expect(members.count).toBe(2); // the ghost is still listed until the sweep
    const gone = await nextCall<any>((cb) => ch.bind('pusher:member_removed', cb), 'ghost removed', 3 * STATE_HEARTBEAT_MS);
    expect(gone.id).toBe('ghost');
    expect(ch.members.count).toBe(1);
    const deadline = Date.now() + 5_000;
    while (!hooks.some((e) => e.name === 'channel_vacated') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(hooks).toEqual(expect.arrayContaining([{ name: 'member_removed', channel: room, user_id: 'ghost' }, expect.objectContaining({ name: 'channel_vacated' })]));
    expect(await admin.hexists(`slipway:realtime:${a.config.appId}:state-nodes`, doomed.origin)).toBe(0);
  }, 30_000);
});
