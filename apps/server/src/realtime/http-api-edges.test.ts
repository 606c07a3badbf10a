/**
 * Issue #15, bugs 3 to 5: the HTTP API's body limit follows REALTIME_MAX_EVENT_BYTES, an
 * oversized upload over a kept-alive connection gets its 413 every time, unknown routes never echo
 * the query, and CORS lets listed origins (only) call auth, config and the HTTP API.
 */
import { Agent, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clusterHarness } from './cluster.testing.ts';
import { httpApiBodyLimit } from './http-api.ts';
import { bodyMd5, signRequest } from './signatures.ts';
import { appSdk, nextCall, pusherClient, TEST_SECRET, type TestApp } from './testing.ts';

const h = clusterHarness();

function signedPath(t: TestApp, body: string): string {
  const path = `/apps/${t.config.appId}/events`;
  const query: Record<string, string> = { auth_key: t.config.key, auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0', body_md5: bodyMd5(body) };
  query.auth_signature = signRequest({ id: t.config.appId, key: t.config.key, secret: TEST_SECRET }, 'POST', path, query);
  return `${path}?${new URLSearchParams(query)}`;
}

function post(t: TestApp, agent: Agent, path: string, body: Buffer | string): Promise<{ status: number; body: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: t.port, method: 'POST', path, agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('HTTP API body limits (bug 3)', () => {
  it('follow REALTIME_MAX_EVENT_BYTES: 300 KB of data goes through when the limit is 400 KB, and reaches pusher-js', async () => {
    const [t] = await h.start('one instance', { maxEventBytes: 400 * 1024 });
    const p = h.later(pusherClient(t));
    const ch = p.subscribe('big');
    await nextCall((cb) => ch.bind('pusher:subscription_succeeded', cb), 'subscribed');
    const got = nextCall<any>((cb) => ch.bind('large', cb), 'large event');
    const data = 'x'.repeat(300 * 1024);
    await appSdk(t).trigger('big', 'large', { data });
    expect((await got).data).toHaveLength(data.length);
    await expect(appSdk(t).trigger('big', 'large', 'y'.repeat(400 * 1024 + 1))).rejects.toMatchObject({ status: 413 });
  });

  it('answers 50 oversized uploads over one kept-alive connection with 413 each, on the same connection, then still serves a good request on it', async () => {
    const [t] = await h.start('one instance');
    const limit = httpApiBodyLimit(t.config);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    h.cleanups.push(() => agent.destroy());
    // Several times the limit: far more than the socket buffers hold, so the server must read it.
    const body = Buffer.alloc(limit * 6, 'a');
    const answers: { status: number; reused: boolean }[] = [];
    for (let i = 0; i < 50; i++) {
      const { status, reused } = await post(t, agent, signedPath(t, body.toString()), body);
      answers.push({ status, reused });
    }
    expect(answers.map((a) => a.status)).toEqual(Array(50).fill(413));
    // One connection throughout: none was closed under the client (which is where EPIPE came from).
    expect(answers.slice(1).every((a) => a.reused)).toBe(true);
    const good = JSON.stringify({ name: 'e', channel: 'c', data: '{}' });
    const ok = await post(t, agent, signedPath(t, good), good);
    expect(ok.status).toBe(200);
    expect(ok.reused).toBe(true);
  });

  it('refuses data over the event limit with 413 and a JSON error, well under the body limit', async () => {
    const [t] = await h.start('one instance');
    const body = JSON.stringify({ name: 'e', channel: 'c', data: 'z'.repeat(t.config.maxEventBytes + 1) });
    const agent = new Agent({ keepAlive: true });
    h.cleanups.push(() => agent.destroy());
    const res = await post(t, agent, signedPath(t, body), body);
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toMatchObject({ error: 'payload_too_large' });
  });
});

describe('unknown routes (bug 4)', () => {
  it('never echo the query string (signatures)', async () => {
    const [t] = await h.start('one instance');
    for (const path of [`/apps/${t.config.appId}/nope?auth_signature=secret-sig&auth_key=k`, '/apps/x/events/extra?auth_signature=secret-sig']) {
      const res = await fetch(`${t.base}${path}`);
      expect(res.status).toBe(404);
      const text = await res.text();
      expect(text).not.toContain('secret-sig');
      expect(JSON.parse(text)).toMatchObject({ error: 'not_found' });
    }
  });
});

describe('CORS (bug 5)', () => {
  const page = 'https://app.example.test';

  it('answers a listed origin’s preflight for /broadcasting/auth, and its auth request, as Echo on that page makes them', async () => {
    const [t] = await h.start('one instance', { corsOrigins: [page] });
    const pre = await fetch(`${t.base}/broadcasting/auth`, {
      method: 'OPTIONS',
      headers: { origin: page, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(page);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    const res = await fetch(`${t.base}/broadcasting/auth`, {
      method: 'POST',
      headers: { origin: page, authorization: 'Bearer alice-token', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'socket_id=1.2&channel_name=private-App.Models.User.1',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(page);
    for (const path of ['/api/config', `/apps/${t.config.appId}/events`]) {
      const p = await fetch(`${t.base}${path}`, { method: 'OPTIONS', headers: { origin: page, 'access-control-request-method': 'POST' } });
      expect(p.status, path).toBe(204);
    }
    const config = await fetch(`${t.base}/api/config`, { headers: { origin: page } });
    expect(config.headers.get('access-control-allow-origin')).toBe(page);
  });

  it('gives any other origin no CORS header and a 403 preflight; by default no origin is listed', async () => {
    for (const corsOrigins of [[page], []]) {
      const [t] = await h.start('one instance', { corsOrigins });
      const pre = await fetch(`${t.base}/broadcasting/auth`, { method: 'OPTIONS', headers: { origin: 'https://evil.example.test', 'access-control-request-method': 'POST' } });
      expect(pre.status).toBe(403);
      expect(pre.headers.get('access-control-allow-origin')).toBeNull();
      const res = await fetch(`${t.base}/api/config`, { headers: { origin: 'https://evil.example.test' } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });
});
