/**
 * Webhooks to the application (issue #15, item 10), checked by the `pusher` SDK's own webhook
 * validator, with pusher-js clients causing them, on one instance and on two with Redis.
 */
import { createServer, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clusterHarness, TOPOLOGIES, unique } from './cluster.testing.ts';
import { appAuthClient, appSdk, nextCall, type TestApp } from './testing.ts';

const h = clusterHarness();

interface Receiver {
  url: string;
  /** Every event of every valid delivery, in order. */
  events: any[];
  deliveries: number;
  invalid: number;
  /** Answers the next n deliveries with this status. */
  failNext(n: number, status?: number): void;
  until(cond: (events: any[]) => boolean, what: string): Promise<void>;
}

async function receiver(t: () => TestApp): Promise<Receiver> {
  let failing = 0;
  let failStatus = 500;
  const r: Receiver = {
    url: '',
    events: [],
    deliveries: 0,
    invalid: 0,
    failNext(n, status = 500) {
      failing = n;
      failStatus = status;
    },
    async until(cond, what) {
      const deadline = Date.now() + 10_000;
      while (!cond(r.events)) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(r.events)}`);
        await new Promise((res) => setTimeout(res, 20));
      }
    },
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      r.deliveries++;
      if (failing > 0) {
        failing--;
        res.writeHead(failStatus).end();
        return;
      }
      const hook = appSdk(t()).webhook({ headers: req.headers as Record<string, string>, rawBody: body });
      if (!hook.isValid()) r.invalid++;
      else r.events.push(...hook.getEvents());
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  h.cleanups.push(() => new Promise((res) => server.close(res)));
  const addr = server.address();
  r.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/pusher/webhook`;
  return r;
}

describe.each(TOPOLOGIES)('webhooks, %s', (topology) => {
  it('sends channel_occupied, member_added, client_event, member_removed and channel_vacated, signed, once for the whole cluster', async () => {
    let app: TestApp;
    const r = await receiver(() => app);
    const [a, b] = await h.start(topology, { webhookUrl: r.url, webhookBatchMs: 50, clientEvents: true });
    app = a;
    const room = unique('presence-hooks-');
    const alice = h.later(appAuthClient(a, { id: '1' }));
    const ch = alice.subscribe(room);
    await nextCall((cb) => ch.bind('pusher:subscription_succeeded', cb), 'alice in');
    const bob = h.later(appAuthClient(b, { id: '2' }));
    const ch2 = bob.subscribe(room);
    await nextCall((cb) => ch2.bind('pusher:subscription_succeeded', cb), 'bob in');
    const got = nextCall((cb) => ch.bind('client-typing', cb), 'client event');
    ch2.trigger('client-typing', { on: true });
    await got;
    bob.unsubscribe(room);
    alice.unsubscribe(room);
    await r.until((e) => e.some((x) => x.name === 'channel_vacated'), 'channel_vacated');
    await new Promise((res) => setTimeout(res, 200)); // nothing more should come
    const names = r.events.map((e) => e.name);
    expect(names.filter((n) => n === 'channel_occupied')).toHaveLength(1);
    expect(names.filter((n) => n === 'channel_vacated')).toHaveLength(1);
    expect(r.events.filter((e) => e.name === 'member_added').map((e) => e.user_id).sort()).toEqual(['1', '2']);
    expect(r.events.filter((e) => e.name === 'member_removed').map((e) => e.user_id).sort()).toEqual(['1', '2']);
    expect(r.events.find((e) => e.name === 'client_event')).toEqual({
      name: 'client_event',
      channel: room,
      event: 'client-typing',
      data: JSON.stringify({ on: true }),
      socket_id: bob.connection.socket_id,
      user_id: '2',
    });
    expect(names.indexOf('channel_occupied')).toBeLessThan(names.indexOf('channel_vacated'));
    expect(r.invalid).toBe(0);
    // Batched: fewer requests than events.
    expect(r.deliveries).toBeLessThan(r.events.length);
  });

  it('retries a delivery the application refused, with backoff, until it is accepted', async () => {
    let app: TestApp;
    const r = await receiver(() => app);
    const [a] = await h.start(topology, { webhookUrl: r.url, webhookBatchMs: 10, webhookRetryBaseMs: 50 });
    app = a;
    r.failNext(2, 503);
    const channel = unique('retry-');
    const p = h.later(appAuthClient(a, { id: '1' }));
    await nextCall((cb) => p.subscribe(channel).bind('pusher:subscription_succeeded', cb), 'subscribed');
    await r.until((e) => e.some((x) => x.name === 'channel_occupied' && x.channel === channel), 'the occupied event after two refusals');
    expect(r.deliveries).toBe(3);
  });
});
