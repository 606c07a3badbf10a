/**
 * Misbehaving clients — malformed frames, oversized frames, floods, and a client that stops
 * reading — are dealt with alone: the server and the other clients carry on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { nextCall, pusherClient, rawClient, startTestApp, type RawClient, type TestApp } from './testing.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(overrides = {}): Promise<TestApp> {
  const t = await startTestApp(overrides);
  cleanups.push(() => t.close());
  return t;
}
async function raw(t: TestApp): Promise<RawClient> {
  const c = await rawClient(t.port, t.config.key);
  cleanups.push(() => c.ws.terminate());
  return c;
}
/** A healthy pusher-js client on a public channel, to show others are not disturbed. */
async function bystander(t: TestApp, channelName = 'news') {
  const p = pusherClient(t);
  cleanups.push(() => p.disconnect());
  const ch = p.subscribe(channelName);
  await nextCall((cb) => ch.bind('pusher:subscription_succeeded', cb), 'bystander subscribed');
  return {
    p,
    async stillReceives(name = 'check') {
      const got = nextCall((cb) => ch.bind(name, cb), `bystander ${name}`);
      t.realtime.server!.deliver({ channels: [channelName], name, data: '{"ok":true}' });
      expect(await got).toEqual({ ok: true });
      expect(p.connection.state).toBe('connected');
    },
  };
}
async function until(cond: () => boolean, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('robustness', () => {
  it('answers malformed frames with pusher:error (a subscribe naming a channel: subscription_error on it) and keeps the connection', async () => {
    const t = await start();
    const other = await bystander(t);
    const c = await raw(t);
    const frames = ['not json', '[]', '42', '{"event":7}', '{"event":"my-event","data":{}}', '{"event":"pusher:subscribe","data":{"channel":"bad name!"}}', '{"event":"pusher:subscribe","data":"{oops"}'];
    for (const f of frames) c.send(f);
    c.ws.send(Buffer.from([0, 1, 2]), { binary: true });
    c.send({ event: 'pusher:ping', data: {} });
    await c.next('pusher:pong');
    const errors = c.messages.filter((m) => m.event === 'pusher:error');
    // Every frame but the one naming a channel, plus the binary frame.
    expect(errors).toHaveLength(frames.length);
    expect(errors.every((e) => typeof e.data.message === 'string')).toBe(true);
    const refused = c.messages.filter((m) => m.event === 'pusher:subscription_error');
    expect(refused).toEqual([{ event: 'pusher:subscription_error', channel: 'bad name!', data: { type: 'InvalidChannel', error: 'pusher:subscribe: invalid channel name', status: 400 } }]);
    await other.stillReceives();
  });

  it('closes a connection that sends an oversized frame (1009), and only that one', async () => {
    const t = await start({ maxFrameBytes: 4096 });
    const other = await bystander(t);
    const c = await raw(t);
    c.send({ event: 'client-big', channel: 'private-x', data: 'x'.repeat(10_000) });
    expect((await c.closed).code).toBe(1009);
    await other.stillReceives();
    await until(() => t.realtime.server!.stats().connections === 1, 'the oversized client to be forgotten');
  });

  it('cuts off a client that floods (4301) while others keep receiving', async () => {
    const t = await start({ messageRate: 20, messageBurst: 50 });
    const other = await bystander(t);
    const c = await raw(t);
    for (let i = 0; i < 5_000 && c.ws.readyState === WebSocket.OPEN; i++) c.send({ event: 'pusher:ping', data: {} });
    const closed = await c.closed;
    expect(closed.code).toBe(4301);
    expect(c.messages.some((m) => m.event === 'pusher:error' && m.data.code === 4301)).toBe(true);
    await other.stillReceives();
  });

  it('drops a client that stops reading instead of buffering for it without end', async () => {
    const t = await start({ maxBufferedBytes: 64 * 1024 });
    const other = await bystander(t, 'firehose');
    const slow = await raw(t);
    slow.send({ event: 'pusher:subscribe', data: { channel: 'firehose' } });
    await slow.next('pusher_internal:subscription_succeeded');
    slow.ws.pause(); // stops reading its socket: the kernel buffers fill, then the server's
    const server = t.realtime.server!;
    expect(server.subscriptionCount('firehose')).toBe(2);
    const chunk = JSON.stringify({ pad: 'x'.repeat(8_000) });
    let sent = 0;
    // Publish until the server gives up on the slow one (bounded: 200 MB would be a failure).
    while (server.subscriptionCount('firehose') === 2 && sent < 25_000) {
      for (let i = 0; i < 50; i++) server.deliver({ channels: ['firehose'], name: 'bulk', data: chunk });
      sent += 50;
      await new Promise((r) => setImmediate(r));
    }
    expect(server.subscriptionCount('firehose')).toBe(1);
    await other.stillReceives('after-slow');
  });

  it('limits channels per connection, and refuses presence and encrypted subscriptions without a valid signature', async () => {
    const t = await start({ maxChannelsPerConnection: 2 });
    const c = await raw(t);
    for (const ch of ['a', 'b', 'c']) c.send({ event: 'pusher:subscribe', data: { channel: ch } });
    c.send({ event: 'pusher:unsubscribe', data: { channel: 'a' } });
    c.send({ event: 'pusher:subscribe', data: { channel: 'presence-room', auth: 'k:s', channel_data: '{}' } });
    c.send({ event: 'pusher:subscribe', data: { channel: 'private-encrypted-x', auth: 'k:s' } });
    c.send({ event: 'pusher:subscribe', data: { channel: 'd' } });
    await until(() => c.messages.filter((m) => m.event.includes('subscription')).length === 6, 'six subscription answers');
    const answers = c.messages.filter((m) => m.event.includes('subscription')).map((m) => `${m.event.replace(/^.*:/, '')} ${m.channel}`);
    expect(answers).toEqual([
      'subscription_succeeded a',
      'subscription_succeeded b',
      'subscription_error c',
      'subscription_error presence-room',
      'subscription_error private-encrypted-x',
      'subscription_succeeded d',
    ]);
  });

  it('refuses bad handshakes with the protocol codes, and answers other upgrade paths with 404', async () => {
    const t = await start();
    const noVersion = await rawClient(t.port, t.config.key, `/app/${t.config.key}`);
    expect((await noVersion.closed).code).toBe(4008);
    const tooNew = await rawClient(t.port, t.config.key, `/app/${t.config.key}?protocol=8`);
    expect((await tooNew.closed).code).toBe(4007);
    const ws = new WebSocket(`ws://127.0.0.1:${t.port}/elsewhere`);
    const status = await new Promise<number | string>((resolve) => {
      ws.on('unexpected-response', (_q, res) => resolve(res.statusCode ?? 0));
      ws.on('error', (e) => resolve(e.message));
    });
    ws.terminate();
    expect(status).toBe(404);
  });
});
