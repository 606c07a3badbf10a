/**
 * Conformance: the real pusher-js, laravel-echo and `pusher` SDK against the embedded server.
 * These are the clients Slipway's users run unmodified; if they work here, they work in the browser.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Pusher from 'pusher';
import { signRequest, bodyMd5 } from './signatures.ts';
import { echoClient, nextCall, PusherJs, pusherClient, rawClient, sampleChange, startTestApp, TEST_SECRET, waitConnected, type TestApp } from './testing.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(overrides = {}, port = 0): Promise<TestApp> {
  const t = await startTestApp(overrides, port);
  cleanups.push(() => t.close());
  return t;
}
function client(t: TestApp, token?: string, extra = {}): PusherJs {
  const p = pusherClient(t, token, extra);
  cleanups.push(() => p.disconnect());
  return p;
}
function sdk(t: TestApp, secret = TEST_SECRET): Pusher {
  return new Pusher({ appId: t.config.appId, key: t.config.key, secret, host: '127.0.0.1', port: String(t.port), useTLS: false, timeout: 10_000 });
}

describe('pusher-js', () => {
  it('connects and gets a protocol socket id', async () => {
    const t = await start();
    const socketId = await waitConnected(client(t));
    expect(socketId).toMatch(/^\d+\.\d+$/);
  });

  it('subscribes to its own private channel with auth from /broadcasting/auth and receives deployment events', async () => {
    const t = await start();
    const p = client(t, 'alice-token');
    const channel = p.subscribe('private-App.Models.User.1');
    await nextCall((cb) => channel.bind('pusher:subscription_succeeded', cb), 'subscription_succeeded');
    const got = nextCall<any>((cb) => channel.bind('deployment.status-updated', cb), 'deployment.status-updated');
    t.realtime.broadcaster.publish(sampleChange(1, 7));
    const payload = await got;
    expect(payload).toMatchObject({
      deployment_id: '123',
      module_slug: 'products',
      branch_name: 'module/products',
      status: 'success',
      message: "Module 'products' deployed successfully! 🎉",
      progress: 100,
      logs: ['Building...', 'Deploying...', 'Done!'],
      sequence: 7,
      commit_sha: 'abc1234',
      url: 'https://products.example.test',
      targets: [],
    });
  });

  it("is refused another user's channel (403 from the auth endpoint), and a forged signature is refused by the server", async () => {
    const t = await start();
    const p = client(t, 'alice-token');
    const err = await nextCall<any>((cb) => p.subscribe('private-App.Models.User.2').bind('pusher:subscription_error', cb), 'subscription_error');
    expect(err.status).toBe(403);

    // Skipping the endpoint and signing with a wrong secret: the server itself refuses.
    const raw = await rawClient(t.port, t.config.key);
    cleanups.push(() => raw.ws.terminate());
    raw.send({ event: 'pusher:subscribe', data: { channel: 'private-App.Models.User.2', auth: `${t.config.key}:${'0'.repeat(64)}` } });
    const refused = await raw.next('pusher:subscription_error');
    expect(refused.channel).toBe('private-App.Models.User.2');
    expect(refused.data).toMatchObject({ type: 'AuthError', status: 401 });
    t.realtime.broadcaster.publish(sampleChange(2));
    raw.send({ event: 'pusher:ping', data: {} });
    await raw.next('pusher:pong');
    expect(raw.messages.filter((m) => m.event === 'deployment.status-updated')).toEqual([]);
  });

  it('answers pings with pongs, and stays connected across server pings', async () => {
    const t = await start({ activityTimeout: 1, pongTimeout: 5 });
    const p = client(t);
    await waitConnected(p);
    // pusher-js pings after the advertised activity_timeout of silence and needs a pong to stay up.
    await new Promise((r) => setTimeout(r, 3_500));
    expect(p.connection.state).toBe('connected');
    const raw = await rawClient(t.port, t.config.key);
    cleanups.push(() => raw.ws.terminate());
    expect(raw.messages[0]!.data.activity_timeout).toBe(1);
    raw.send({ event: 'pusher:ping', data: {} });
    await raw.next('pusher:pong');
  });

  it('reconnects and resubscribes after a server restart', async () => {
    const first = await startTestApp();
    const p = client(first, 'alice-token');
    const channel = p.subscribe('private-App.Models.User.1');
    await nextCall((cb) => channel.bind('pusher:subscription_succeeded', cb), 'first subscription');
    const oldSocket = p.connection.socket_id;
    await first.close();
    const second = await start({}, first.port);
    // pusher-js retries at once on 4200, then on its own schedule (up to ~15 s when it saw the port closed).
    const resubscribed = nextCall((cb) => channel.bind('pusher:subscription_succeeded', cb), 'resubscription', 45_000);
    await resubscribed;
    expect(p.connection.socket_id).not.toBe(oldSocket);
    const got = nextCall<any>((cb) => channel.bind('deployment.status-updated', cb), 'event after restart');
    second.realtime.broadcaster.publish(sampleChange(1, 2));
    expect((await got).sequence).toBe(2);
  }, 60_000);

  it('is told 4001 for an unknown app key (a code pusher-js does not retry)', async () => {
    const t = await start();
    const raw = await rawClient(t.port, 'wrong-key');
    expect(raw.messages[0]).toMatchObject({ event: 'pusher:error', data: { code: 4001 } });
    expect((await raw.closed).code).toBe(4001);
    const bad = new PusherJs('wrong-key', { cluster: 'mt1', wsHost: '127.0.0.1', wsPort: t.port, forceTLS: false, enabledTransports: ['ws'] });
    cleanups.push(() => bad.disconnect());
    const e = await nextCall<any>((cb) => bad.connection.bind('error', cb), 'error');
    expect(e.data?.code ?? e.error?.data?.code).toBe(4001);
  });

  it('refuses connections over capacity with 4100', async () => {
    const t = await start({ maxConnections: 1 });
    const ok = await rawClient(t.port, t.config.key);
    cleanups.push(() => ok.ws.terminate());
    const over = await rawClient(t.port, t.config.key);
    expect(over.messages[0]).toMatchObject({ event: 'pusher:error', data: { code: 4100 } });
    expect((await over.closed).code).toBe(4100);
  });

  it('closes with 4201 when a server ping is not answered', async () => {
    const t = await start({ activityTimeout: 1, pongTimeout: 1 });
    const raw = await rawClient(t.port, t.config.key);
    await raw.next('pusher:ping', 5_000);
    expect((await raw.closed).code).toBe(4201);
  });

  it('refuses client events unless enabled; when enabled, relays them to the other subscribers only', async () => {
    const off = await start();
    const p = client(off, 'alice-token');
    const ch = p.subscribe('private-App.Models.User.1');
    await nextCall((cb) => ch.bind('pusher:subscription_succeeded', cb), 'subscribed');
    const err = nextCall<any>((cb) => p.connection.bind('error', cb), 'error');
    ch.trigger('client-typing', { x: 1 });
    expect((await err).data.message).toMatch(/not enabled/);

    const on = await start({ clientEvents: true });
    const a = client(on, 'alice-token');
    const b = client(on, 'alice-token');
    const [ca, cb2] = [a.subscribe('private-App.Models.User.1'), b.subscribe('private-App.Models.User.1')];
    await Promise.all([
      nextCall((cb) => ca.bind('pusher:subscription_succeeded', cb), 'a'),
      nextCall((cb) => cb2.bind('pusher:subscription_succeeded', cb), 'b'),
    ]);
    let echoedToSender = false;
    ca.bind('client-typing', () => (echoedToSender = true));
    const got = nextCall<any>((cb) => cb2.bind('client-typing', cb), 'client event');
    ca.trigger('client-typing', { x: 2 });
    expect(await got).toEqual({ x: 2 });
    expect(echoedToSender).toBe(false);
  });
});

describe('laravel-echo', () => {
  it('listens with .deployment.status-updated on the user private channel; admins follow private-deployments', async () => {
    const t = await start();
    const alice = echoClient(t, 'alice-token');
    const admin = echoClient(t, 'admin-token');
    cleanups.push(() => alice.disconnect(), () => admin.disconnect());
    const mine = alice.private('App.Models.User.1');
    const all = admin.private('deployments');
    await Promise.all([
      nextCall((cb) => mine.subscribed(cb), 'alice subscribed'),
      nextCall((cb) => all.subscribed(cb), 'admin subscribed'),
    ]);
    const aliceGot = nextCall<any>((cb) => mine.listen('.deployment.status-updated', cb), 'alice event');
    const adminGot = nextCall<any>((cb) => all.listen('.deployment.status-updated', cb), 'admin event');
    t.realtime.broadcaster.publish(sampleChange(1, 3, { status: 'building', progress: 30, message: 'Building...', finished_at: null }));
    expect(await aliceGot).toMatchObject({ status: 'building', progress: 30, sequence: 3 });
    expect(await adminGot).toMatchObject({ status: 'building', sequence: 3 });
  });

  it("reports an error on another user's channel, and members cannot join private-deployments", async () => {
    const t = await start();
    const alice = echoClient(t, 'alice-token');
    cleanups.push(() => alice.disconnect());
    const e1 = await nextCall<any>((cb) => alice.private('App.Models.User.2').error(cb), 'error other user');
    const e2 = await nextCall<any>((cb) => alice.private('deployments').error(cb), 'error deployments');
    expect(e1.status).toBe(403);
    expect(e2.status).toBe(403);
  });
});

describe('pusher SDK and the HTTP API', () => {
  it('publishes with trigger and triggerBatch to pusher-js, and reads channel info', async () => {
    const t = await start();
    const p = client(t, 'alice-token');
    const ch = p.subscribe('private-App.Models.User.1');
    const pub = p.subscribe('news');
    await Promise.all([
      nextCall((cb) => ch.bind('pusher:subscription_succeeded', cb), 'private'),
      nextCall((cb) => pub.bind('pusher:subscription_succeeded', cb), 'public'),
    ]);
    const s = sdk(t);
    const got = nextCall<any>((cb) => ch.bind('hello', cb), 'hello');
    const res = await s.trigger(['private-App.Models.User.1', 'empty-channel'], 'hello', { n: 1 }, { info: 'subscription_count' });
    expect(await got).toEqual({ n: 1 });
    expect(await res.json()).toEqual({ channels: { 'private-App.Models.User.1': { subscription_count: 1 }, 'empty-channel': { subscription_count: 0 } } });

    const b1 = nextCall<any>((cb) => pub.bind('one', cb), 'one');
    const b2 = nextCall<any>((cb) => ch.bind('two', cb), 'two');
    await s.triggerBatch([
      { channel: 'news', name: 'one', data: { a: 1 } },
      { channel: 'private-App.Models.User.1', name: 'two', data: 'plain' },
    ]);
    expect(await b1).toEqual({ a: 1 });
    expect(await b2).toBe('plain');

    const list = await (await s.get({ path: '/channels', params: { info: 'subscription_count' } })).json();
    expect(list.channels).toEqual({ 'private-App.Models.User.1': { subscription_count: 1 }, news: { subscription_count: 1 } });
    const one = await (await s.get({ path: '/channels/news', params: { info: 'subscription_count' } })).json();
    expect(one).toEqual({ occupied: true, subscription_count: 1 });
    const none = await (await s.get({ path: '/channels/nobody-here' })).json();
    expect(none).toEqual({ occupied: false });
  });

  it('leaves out the sender socket_id', async () => {
    const t = await start();
    const a = client(t);
    const b = client(t);
    const [ca, cb2] = [a.subscribe('room'), b.subscribe('room')];
    await Promise.all([nextCall((cb) => ca.bind('pusher:subscription_succeeded', cb), 'a'), nextCall((cb) => cb2.bind('pusher:subscription_succeeded', cb), 'b')]);
    let aGot = false;
    ca.bind('msg', () => (aGot = true));
    const bGot = nextCall((cb) => cb2.bind('msg', cb), 'b msg');
    await sdk(t).trigger('room', 'msg', {}, { socket_id: a.connection.socket_id });
    await bGot;
    // b got it; a publish after it reaching a proves a's socket has seen everything sent before.
    const marker = nextCall((cb) => ca.bind('marker', cb), 'marker');
    await sdk(t).trigger('room', 'marker', {});
    await marker;
    expect(aGot).toBe(false);
  });

  it('refuses a bad signature, an expired timestamp, a tampered body and an unknown app', async () => {
    const t = await start();
    await expect(sdk(t, 'wrong-secret').trigger('news', 'x', {})).rejects.toMatchObject({ status: 401 });

    const send = (path: string, body: string, query: Record<string, string>, secret = TEST_SECRET) => {
      const signed = { ...query };
      signed.auth_signature = signRequest({ id: t.config.appId, key: t.config.key, secret }, 'POST', path, query);
      return fetch(`${t.base}${path}?${new URLSearchParams(signed)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    };
    const path = `/apps/${t.config.appId}/events`;
    const body = JSON.stringify({ name: 'x', channel: 'news', data: '{}' });
    const q = (ts: number, b = body) => ({ auth_key: t.config.key, auth_timestamp: String(ts), auth_version: '1.0', body_md5: bodyMd5(b) });
    const now = Math.floor(Date.now() / 1000);
    expect((await send(path, body, q(now))).status).toBe(200);
    expect((await send(path, body, q(now - 601))).status).toBe(401);
    expect((await send(path, body.replace('news', 'other'), q(now))).status).toBe(401);
    expect((await send(`/apps/nope/events`, body, q(now))).status).toBe(404);
  });

  it("enforces the protocol's limits: 10 KB data (413), 100 channels and batches of 10 (400)", async () => {
    const t = await start();
    const s = sdk(t);
    await expect(s.trigger('news', 'big', 'x'.repeat(10 * 1024 + 1))).rejects.toMatchObject({ status: 413 });
    await expect(s.trigger('news', 'ok', 'x'.repeat(10 * 1024 - 2))).resolves.toBeTruthy();
    const batch = Array.from({ length: 11 }, (_, i) => ({ channel: 'news', name: `e${i}`, data: '{}' }));
    await expect(s.triggerBatch(batch)).rejects.toMatchObject({ status: 400 });
    // The SDK itself stops at 100 channels, so 101 is sent by hand (signed like the SDK does).
    const channels = Array.from({ length: 101 }, (_, i) => `c${i}`);
    await expect(s.post({ path: '/events', body: { name: 'x', data: '{}', channels } as never })).rejects.toMatchObject({ status: 400 });
  }, 30_000);
});

describe('/broadcasting/auth and /api/config', () => {
  const form = (t: TestApp, body: Record<string, string>, token?: string) =>
    fetch(`${t.base}/broadcasting/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: new URLSearchParams(body),
    });

  it('signs only the caller’s own channel (401 anonymous, 403 others), with a configurable pattern', async () => {
    const t = await start({ userChannelPattern: 'private-users.{id}' });
    const own = await form(t, { socket_id: '123.456', channel_name: 'private-users.1' }, 'alice-token');
    expect(own.status).toBe(200);
    const signer = new Pusher({ appId: t.config.appId, key: t.config.key, secret: TEST_SECRET, cluster: 'mt1' });
    expect(await own.json()).toEqual(signer.authorizeChannel('123.456', 'private-users.1'));
    expect((await form(t, { socket_id: '123.456', channel_name: 'private-users.1' })).status).toBe(401);
    expect((await form(t, { socket_id: '123.456', channel_name: 'private-users.2' }, 'alice-token')).status).toBe(403);
    expect((await form(t, { socket_id: '123.456', channel_name: 'private-App.Models.User.1' }, 'alice-token')).status).toBe(403);
    expect((await form(t, { socket_id: '123.456', channel_name: 'private-deployments' }, 'alice-token')).status).toBe(403);
    expect((await form(t, { socket_id: '123.456', channel_name: 'private-deployments' }, 'admin-token')).status).toBe(200);
    expect((await form(t, { socket_id: 'nope', channel_name: 'private-users.1' }, 'alice-token')).status).toBe(400);
  });

  it('gives the browser what Echo needs', async () => {
    const t = await start();
    const res = await fetch(`${t.base}/api/config`);
    const { realtime } = await res.json();
    expect(realtime).toMatchObject({
      key: t.config.key,
      host: '127.0.0.1',
      port: t.port,
      scheme: 'http',
      authEndpoint: '/broadcasting/auth',
      echo: { broadcaster: 'pusher', key: t.config.key, wsHost: '127.0.0.1', wsPort: t.port, forceTLS: false },
    });
  });
});
