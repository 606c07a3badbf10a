/**
 * The Pusher HTTP API publishes only what was signed (issue #10, item 7): `body_md5` binds every
 * non-empty body, bodies other than JSON are refused (415), and signatures never reach the log.
 * A real pusher-js subscriber shows nothing was published by a refused request.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Pusher from 'pusher';
import { bodyMd5, signRequest } from './signatures.ts';
import { nextCall, pusherClient, startTestApp, TEST_SECRET, type TestApp } from './testing.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(logStream?: { write(line: string): void }): Promise<TestApp> {
  const t = await startTestApp({}, 0, { logStream });
  cleanups.push(() => t.close());
  return t;
}

/** A URL signed for `body`, as a Pusher SDK makes it (anyone who saw it could replay it within 600 s). */
function signedUrl(t: TestApp, body: string): string {
  const path = `/apps/${t.config.appId}/events`;
  const query: Record<string, string> = { auth_key: t.config.key, auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0', body_md5: bodyMd5(body) };
  query.auth_signature = signRequest({ id: t.config.appId, key: t.config.key, secret: TEST_SECRET }, 'POST', path, query);
  return `${t.base}${path}?${new URLSearchParams(query)}`;
}

/** A pusher-js client on `news` that records every event it gets. */
async function subscriber(t: TestApp) {
  const p = pusherClient(t);
  cleanups.push(() => p.disconnect());
  const ch = p.subscribe('news');
  await nextCall((cb) => ch.bind('pusher:subscription_succeeded', cb), 'subscribed');
  const got: string[] = [];
  ch.bind_global((name: string) => {
    if (!name.startsWith('pusher')) got.push(name);
  });
  return {
    /** Publishes a marker through the signed API and waits for it: everything sent before it has arrived. */
    async received(): Promise<string[]> {
      const marker = nextCall((cb) => ch.bind('marker', cb), 'marker');
      const body = JSON.stringify({ name: 'marker', channel: 'news', data: '{}' });
      expect((await fetch(signedUrl(t, body), { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status).toBe(200);
      await marker;
      return got.filter((n) => n !== 'marker');
    },
  };
}

describe('Pusher HTTP API bodies', () => {
  it('refuses a signed URL replayed with a form-encoded body (415), and nothing is published', async () => {
    const t = await start();
    const sub = await subscriber(t);
    const url = signedUrl(t, JSON.stringify({ name: 'harmless', channel: 'other', data: '{}' }));
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ name: 'evil', channel: 'news', data: '{"pwned":true}' }),
    });
    expect(res.status).toBe(415);
    expect(await sub.received()).toEqual([]);
  });

  it.each([
    ['text/plain', '{"name":"evil","channel":"news","data":"{}"}'],
    ['application/xml', '<x/>'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\nevil\r\n--x--\r\n'],
    ['application/octet-stream', 'name=evil'],
  ])('refuses %s with 415', async (type, body) => {
    const t = await start();
    const sub = await subscriber(t);
    const res = await fetch(signedUrl(t, body), { method: 'POST', headers: { 'content-type': type }, body });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ message: expect.any(String) });
    expect(await sub.received()).toEqual([]);
  });

  it('binds a JSON body to body_md5 whatever its charset parameter, and still publishes signed JSON', async () => {
    const t = await start();
    const sub = await subscriber(t);
    const signedFor = JSON.stringify({ name: 'fine', channel: 'news', data: '{}' });
    const changed = JSON.stringify({ name: 'evil', channel: 'news', data: '{}' });
    const res = await fetch(signedUrl(t, signedFor), { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: changed });
    expect(res.status).toBe(401);
    const ok = await fetch(signedUrl(t, signedFor), { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: signedFor });
    expect(ok.status).toBe(200);
    expect(await sub.received()).toEqual(['fine']);
  });
});

describe('signatures and the log', () => {
  it('never writes the signed query string to the log', async () => {
    const lines: string[] = [];
    const t = await start({ write: (l) => void lines.push(l) });
    const sdk = new Pusher({ appId: t.config.appId, key: t.config.key, secret: TEST_SECRET, host: '127.0.0.1', port: String(t.port), useTLS: false });
    await sdk.trigger('news', 'logged', { a: 1 });
    await sdk.get({ path: '/channels' });
    await sdk.trigger('news', 'refused', 'x'.repeat(20_000)).catch(() => undefined);
    // Fastify's own request lines (this app keeps them on) are where the query used to appear.
    const log = lines.join('');
    expect(log).toContain(`/apps/${t.config.appId}/events`);
    expect(log).toContain('incoming request');
    expect(log).not.toMatch(/auth_signature|body_md5/);
  });
});
