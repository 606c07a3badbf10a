/**
 * One request never stops the server (issue #10, item 1): malformed upgrade targets, absolute-form
 * targets, socket errors, bad frames and a throwing message handler each end their own request or
 * socket, and the server keeps answering. Raw TCP, so no client library tidies the bytes first.
 */
import { IncomingMessage } from 'node:http';
import { createServer, connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { DEFAULT_APP_KEY } from './config.ts';
import { nextCall, pusherClient, rawClient, rawExchange, startTestApp, upgradeRequest, waitConnected, type TestApp } from './testing.ts';

/** The server still serves HTTP and accepts a real pusher-js client. */
async function stillUp(port: number, key = DEFAULT_APP_KEY): Promise<void> {
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  const p = pusherClient({ port, config: { key } });
  try {
    expect(await waitConnected(p)).toMatch(/^\d+\.\d+$/);
  } finally {
    p.disconnect();
  }
}

describe('the real server, sent malformed requests over raw TCP', () => {
  let server: TestServer;
  let port: number;
  // One database is enough: nothing here reaches it (the upgrade path has no storage).
  beforeAll(async () => {
    server = await startTestServer('sqlite');
    port = Number(new URL(server.url).port);
  });
  afterAll(() => server?.close());

  it.each([
    ['a bad percent-escape in the app key', '/app/%E0%A4%A?protocol=7'],
    ['an absolute-form target that is no URL', 'http://[bad/app/x'],
    ['an absolute-form target with a bad escape', `http://127.0.0.1/app/%ZZ?protocol=7`],
  ])('answers an upgrade with %s with 400, and stays up', async (_what, target) => {
    const answer = await rawExchange(port, upgradeRequest(target));
    expect(answer.status).toBe(400);
    expect(answer.text).toMatch(/"error":"bad_request"/);
    await stillUp(port);
  });

  it('refuses an unknown key too long for a close reason (4001), and stays up', async () => {
    // 60 three-byte characters: "Application does not exist: …" is over ws's 123-byte close reason.
    const answer = await rawExchange(port, upgradeRequest(`/app/${'%E0%A4%A4'.repeat(60)}?protocol=7`));
    expect(answer.status).toBe(101);
    expect(answer.text).toContain('"code":4001');
    await stillUp(port);
  });

  it('accepts an absolute-form target that is a URL, as HTTP/1.1 requires', async () => {
    const answer = await rawExchange(port, upgradeRequest(`http://127.0.0.1:${port}/app/${DEFAULT_APP_KEY}?protocol=7`), 1_000);
    expect(answer.status).toBe(101);
    expect(answer.text).toContain('pusher:connection_established');
  });

  it.each(['/api/%E0%A4%A', 'http://[bad/api/x', '/%E0%A4%A', '/git/%E0%A4%A/info/refs?service=git-upload-pack', '/apps/slipway/channels/%E0%A4%A', '/broadcasting/auth?%E0%A4%A=1'])(
    'answers GET %s with a 4xx, not a 5xx',
    async (target) => {
      const answer = await rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      await stillUp(port);
    },
  );

  it('does not echo a query string (a signature) in its 404 answer', async () => {
    const res = await fetch(`${server.url}/no/such/route?auth_signature=deadbeef`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('deadbeef');
  });

  it('survives an upgraded socket that errors while it is being answered', async () => {
    // A connection reset, as the client would cause: the socket Node hands to 'upgrade' emits
    // 'error', and Node has taken its own error listener off it by then.
    const pair = await socketPair();
    const req = new IncomingMessage(pair.server);
    req.url = '/not-a-websocket-path';
    req.method = 'GET';
    req.headers = { connection: 'Upgrade', upgrade: 'websocket' };
    server.app.server.emit('upgrade', req, pair.server, Buffer.alloc(0));
    pair.server.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    pair.client.destroy();
    await new Promise((r) => setTimeout(r, 50));
    await stillUp(port);
  });

  it('closes a socket that sends a malformed frame, and only that one', async () => {
    const other = await rawClient(port, DEFAULT_APP_KEY);
    const answer = new Promise<{ text: string; closed: boolean }>((resolve) => {
      const chunks: Buffer[] = [];
      const s = connect(port, '127.0.0.1', () => s.write(upgradeRequest(`/app/${DEFAULT_APP_KEY}?protocol=7`)));
      s.on('data', (d) => {
        chunks.push(d);
        // After the handshake: an unmasked frame with a reserved opcode, which no client may send.
        if (chunks.length === 1) s.write(Buffer.from([0x83, 0x02, 0x00, 0x00]));
      });
      s.on('close', () => resolve({ text: Buffer.concat(chunks).toString('latin1'), closed: true }));
      s.on('error', () => {});
    });
    const { closed } = await answer;
    expect(closed).toBe(true);
    other.send({ event: 'pusher:ping', data: {} });
    await other.next('pusher:pong');
    other.ws.terminate();
    await stillUp(port);
  });
});

describe('a throw inside a message handler', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('closes that connection with 1011 and nothing else', async () => {
    const t: TestApp = await startTestApp();
    cleanups.push(() => t.close());
    const server = t.realtime.server!;
    const subscribe = server.subscribe.bind(server);
    // A bug stands in here: any handler that throws for one client's message.
    server.subscribe = async (conn, channel) => {
      if (channel === 'explodes') throw new Error('bug in a handler');
      return subscribe(conn, channel);
    };
    const bystander = pusherClient(t);
    cleanups.push(() => bystander.disconnect());
    const news = bystander.subscribe('news');
    await nextCall((cb) => news.bind('pusher:subscription_succeeded', cb), 'bystander subscribed');

    const victim = await rawClient(t.port, t.config.key);
    victim.send({ event: 'pusher:subscribe', data: { channel: 'explodes' } });
    expect((await victim.closed).code).toBe(1011);

    const got = nextCall((cb) => news.bind('after', cb), 'event after the throw');
    server.deliver({ channels: ['news'], name: 'after', data: '{"ok":true}' });
    expect(await got).toEqual({ ok: true });
    const fresh = pusherClient(t);
    cleanups.push(() => fresh.disconnect());
    await waitConnected(fresh);
  });
});

describe('a throw inside the liveness sweep', () => {
  it('is reported, and the next sweep still runs', async () => {
    const t = await startTestApp({ activityTimeout: 1, pongTimeout: 1 });
    try {
      const server = t.realtime.server!;
      const reported: unknown[] = [];
      server.onError = (err) => void reported.push(err);
      const sweep = server.sweep.bind(server);
      let calls = 0;
      server.sweep = (now) => {
        if (++calls === 1) throw new Error('bug in the sweep');
        sweep(now);
      };
      const deadline = Date.now() + 5_000;
      while (calls < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(calls).toBeGreaterThanOrEqual(2);
      expect(reported).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});

/** Both ends of a real TCP connection. */
async function socketPair(): Promise<{ client: Socket; server: Socket; close(): void }> {
  const listener = createServer();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  const port = (listener.address() as { port: number }).port;
  const accepted = new Promise<Socket>((r) => listener.once('connection', r));
  const client = connect(port, '127.0.0.1');
  client.on('error', () => {});
  const server = await accepted;
  listener.close();
  return { client, server, close: () => (client.destroy(), server.destroy()) };
}
