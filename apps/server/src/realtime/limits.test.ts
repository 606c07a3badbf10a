/**
 * One client cannot take every realtime slot (issue #10, item 5): per-address caps on open
 * sockets and on new connections per second, sockets that subscribe to nothing are closed, and
 * `/broadcasting/auth` is rate limited per address. Clients are told apart through the
 * `clientAddress` seam (a test header here; the client's address, proxy-aware, in the app).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { byTestHeader, rawClient, rawExchange, startTestApp, upgradeRequest, type RawClient, type TestApp } from './testing.ts';
import type { RealtimeConfigInput } from './config.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(overrides: Partial<RealtimeConfigInput> = {}): Promise<TestApp> {
  const t = await startTestApp(overrides, 0, { clientAddress: byTestHeader });
  cleanups.push(() => t.close());
  return t;
}
async function from(t: TestApp, client: string): Promise<RawClient> {
  const c = await rawClient(t.port, t.config.key, undefined, { 'x-test-client': client });
  cleanups.push(() => c.ws.terminate());
  return c;
}
const refusedWith = (c: RawClient) => c.messages.find((m) => m.event === 'pusher:error')?.data.code;

describe('per-address connection limits', () => {
  it('lets one address hold only its share of sockets (4100 beyond), while others still connect', async () => {
    const t = await start({ maxConnections: 20, maxConnectionsPerAddress: 3 });
    const held = [await from(t, '203.0.113.7'), await from(t, '203.0.113.7'), await from(t, '203.0.113.7')];
    expect(held.every((c) => c.socketId !== '')).toBe(true);
    const over = await from(t, '203.0.113.7');
    expect(refusedWith(over)).toBe(4100);
    expect((await over.closed).code).toBe(4100);

    const someoneElse = await from(t, '198.51.100.1');
    expect(someoneElse.socketId).toMatch(/^\d+\.\d+$/);

    // A slot freed is a slot again.
    held[0]!.ws.close();
    await held[0]!.closed;
    await until(() => t.realtime.server!.connectionsFrom('203.0.113.7') === 2);
    expect((await from(t, '203.0.113.7')).socketId).not.toBe('');
  });

  it('counts an IPv6 client by its /64, and an IPv4-mapped address as the IPv4 one', async () => {
    const t = await start({ maxConnectionsPerAddress: 2 });
    await from(t, '2001:db8:1:2::1');
    await from(t, '2001:db8:1:2:ffff::9');
    expect(refusedWith(await from(t, '2001:db8:1:2:abcd::3'))).toBe(4100);
    expect((await from(t, '2001:db8:1:3::1')).socketId).not.toBe('');
    await from(t, '192.0.2.1');
    await from(t, '::ffff:192.0.2.1');
    expect(refusedWith(await from(t, '192.0.2.1'))).toBe(4100);
  });

  it('refuses new connections beyond the per-address rate with 429 before the handshake', async () => {
    const t = await start({ connectionRatePerAddress: 1, connectionBurstPerAddress: 2 });
    const attempt = (client: string) => rawExchange(t.port, upgradeRequest(`/app/${t.config.key}?protocol=7`, { 'x-test-client': client }), 1_000);
    expect((await attempt('203.0.113.9')).status).toBe(101);
    expect((await attempt('203.0.113.9')).status).toBe(101);
    const third = await attempt('203.0.113.9');
    expect(third.status).toBe(429);
    expect(third.text).toMatch(/Retry-After: 1/);
    expect(third.text).toMatch(/"error":"too_many_requests"/);
    expect((await attempt('198.51.100.2')).status).toBe(101);
    // The bucket refills: one more a second later.
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await attempt('203.0.113.9')).status).toBe(101);
  });

  it('keeps the issue’s attacker to its share: signed-in users still get in', async () => {
    const t = await start({ maxConnections: 30, maxConnectionsPerAddress: 5, connectionBurstPerAddress: 1000 });
    const attacker = await Promise.all(Array.from({ length: 30 }, () => from(t, '203.0.113.66')));
    expect(attacker.filter((c) => c.socketId !== '').length).toBe(5);
    const users = await Promise.all(['198.51.100.10', '198.51.100.11', '198.51.100.12'].map((a) => from(t, a)));
    expect(users.every((c) => c.socketId !== '')).toBe(true);
  });
});

describe('sockets that subscribe to nothing', () => {
  it('are closed with 4202 after REALTIME_SUBSCRIBE_TIMEOUT_SECONDS; subscribed ones stay', async () => {
    const t = await start({ subscribeTimeout: 1 });
    const idle = await from(t, '203.0.113.1');
    const busy = await from(t, '203.0.113.2');
    busy.send({ event: 'pusher:subscribe', data: { channel: 'news' } });
    await busy.next('pusher_internal:subscription_succeeded');
    const closed = await idle.closed;
    expect(closed.code).toBe(4202);
    expect(idle.messages.some((m) => m.event === 'pusher:error' && m.data.code === 4202)).toBe(true);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(busy.ws.readyState).toBe(busy.ws.OPEN);
    t.realtime.server!.deliver({ channels: ['news'], name: 'still-here', data: '{}' });
    await busy.next('still-here');
  });

  it('counts from the moment a socket leaves its last channel', async () => {
    const t = await start({ subscribeTimeout: 1 });
    const c = await from(t, '203.0.113.3');
    c.send({ event: 'pusher:subscribe', data: { channel: 'news' } });
    await c.next('pusher_internal:subscription_succeeded');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    c.send({ event: 'pusher:unsubscribe', data: { channel: 'news' } });
    expect((await c.closed).code).toBe(4202);
  });
});

describe('POST /broadcasting/auth', () => {
  const auth = (t: TestApp, client: string) =>
    fetch(`${t.base}/broadcasting/auth`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer alice-token', 'x-test-client': client },
      body: new URLSearchParams({ socket_id: '1.2', channel_name: 'private-App.Models.User.1' }),
    });

  it('is rate limited per client address, with a JSON 429', async () => {
    const t = await start({ authRatePerMinute: 3 });
    for (let i = 0; i < 3; i++) expect((await auth(t, '203.0.113.5')).status).toBe(200);
    const limited = await auth(t, '203.0.113.5');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await limited.json()).toMatchObject({ message: expect.stringMatching(/Too many/) });
    expect((await auth(t, '198.51.100.5')).status).toBe(200);
  });

  it('counts unauthenticated attempts too', async () => {
    const t = await start({ authRatePerMinute: 2 });
    const anonymous = () => fetch(`${t.base}/broadcasting/auth`, { method: 'POST', headers: { 'x-test-client': '203.0.113.8' } });
    expect((await anonymous()).status).toBe(401);
    expect((await anonymous()).status).toBe(401);
    expect((await anonymous()).status).toBe(429);
  });
});

async function until(cond: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
