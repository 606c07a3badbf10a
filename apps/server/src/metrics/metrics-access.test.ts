/**
 * Issue 14, item 1: who may scrape, and where. SLIPWAY_METRICS_TOKEN (401 without the bearer
 * token), SLIPWAY_METRICS=false (404), SLIPWAY_METRICS_PORT (its own listener, and only there),
 * and the Redis bus gauge against a real Redis that goes away.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sendWebhook } from '../test-support/http.ts';
import { startRedis, type RedisServer } from '../test-support/redis.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { bearerMatches } from './access.ts';
import { sample, scrape } from './testing.ts';

const TOKEN = 'metrics-token-0123456789';

describe('bearerMatches', () => {
  it('takes only `Bearer <the token>`', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer  ${TOKEN} `, TOKEN)).toBe(true);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
    expect(bearerMatches('', TOKEN)).toBe(false);
    expect(bearerMatches('Bearer', TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(bearerMatches(`Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN} extra`, TOKEN)).toBe(false);
  });
});

describe('SLIPWAY_METRICS_TOKEN', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('sqlite', { SLIPWAY_METRICS_TOKEN: TOKEN });
  });
  afterAll(async () => s?.close());

  it('answers 401 without the token or with a wrong one, 200 with it', async () => {
    const none = await call(s.url, 'GET', '/metrics');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect(none.body).toMatchObject({ error: 'unauthorized' });
    expect(String(JSON.stringify(none.body))).not.toContain('slipway_');
    expect((await call(s.url, 'GET', '/metrics', { token: 'metrics-token-0123456780' })).status).toBe(401);
    expect((await call(s.url, 'GET', '/metrics', { headers: { authorization: TOKEN } })).status).toBe(401);
    const ok = await call(s.url, 'GET', '/metrics', { token: TOKEN });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(String(ok.body)).toContain('slipway_webhook_deliveries_total');
  });

  it('refuses a token shorter than 16 characters at start', async () => {
    await expect(startTestServer('sqlite', { SLIPWAY_METRICS_TOKEN: 'short' })).rejects.toThrow(/SLIPWAY_METRICS_TOKEN: must be at least 16 characters/);
  });
});

describe('SLIPWAY_METRICS=false', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('sqlite', { SLIPWAY_METRICS: 'false' });
  });
  afterAll(async () => s?.close());

  it('has no /metrics route: 404, even for a browser (never the web app)', async () => {
    expect(s.ctx.metrics).toBeUndefined();
    const r = await call(s.url, 'GET', '/metrics');
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ error: 'not_found' });
    expect((await call(s.url, 'GET', '/metrics', { headers: { accept: 'text/html' } })).status).toBe(404);
  });
});

describe('SLIPWAY_METRICS_PORT', () => {
  let s: TestServer;
  let url: string;
  beforeAll(async () => {
    // 0: a free port, as PORT=0 (the test reads the port the listener took).
    s = await startTestServer('sqlite', { SLIPWAY_METRICS_PORT: '0', SLIPWAY_METRICS_TOKEN: TOKEN });
    url = s.ctx.metricsServer!.url!;
  });
  afterAll(async () => s?.close());

  it('serves /metrics on its own listener only', async () => {
    expect(new URL(url).port).not.toBe(new URL(s.url).port);
    expect((await call(s.url, 'GET', '/metrics', { token: TOKEN })).status).toBe(404);
    const m = await scrape(url, TOKEN);
    expect(sample(m, 'slipway_webhook_deliveries_total', { outcome: 'accepted' })).toBe(0);
    expect(sample(m, 'slipway_deployments', { status: 'success' })).toBe(0);
  });

  it('checks the token there too, and serves nothing else', async () => {
    const origin = new URL(url).origin;
    expect((await call(origin, 'GET', '/metrics')).status).toBe(401);
    expect((await call(origin, 'GET', '/metrics', { token: 'wrong-token-0123456789' })).status).toBe(401);
    expect((await call(origin, 'GET', '/api/admin/deployments/active', { token: TOKEN })).status).toBe(404);
    expect((await call(origin, 'GET', '/healthz')).status).toBe(404);
    const post = await call(origin, 'POST', '/metrics', { token: TOKEN, body: {} });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('refuses to start on a port in use, naming the setting', async () => {
    const taken = new URL(url).port;
    await expect(startTestServer('sqlite', { SLIPWAY_METRICS_PORT: taken })).rejects.toThrow(new RegExp(`SLIPWAY_METRICS_PORT: cannot listen on 127\\.0\\.0\\.1:${taken}: .*EADDRINUSE`));
  });

  it('stops listening when the server closes', async () => {
    const other = await startTestServer('sqlite', { SLIPWAY_METRICS_PORT: '0' });
    const otherUrl = other.ctx.metricsServer!.url!;
    expect((await call(new URL(otherUrl).origin, 'GET', '/metrics')).status).toBe(200);
    await other.close();
    await expect(fetch(otherUrl)).rejects.toThrow();
  });
});

describe('webhook deliveries refused by the reject limit', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('sqlite', { WEBHOOK_REJECT_LIMIT_PER_MINUTE: '2' });
  });
  afterAll(async () => s?.close());

  it('count as rate_limited, apart from the rejected ones', async () => {
    const bad = () => sendWebhook(s.url, { deploymentId: 'x', status: 'done', branch: 'module/x' }, 'not-the-secret-at-all');
    expect([(await bad()).status, (await bad()).status, (await bad()).status, (await bad()).status]).toEqual([401, 401, 429, 429]);
    const m = await scrape(`${s.url}/metrics`);
    expect(sample(m, 'slipway_webhook_deliveries_total', { outcome: 'rejected' })).toBe(2);
    expect(sample(m, 'slipway_webhook_deliveries_total', { outcome: 'rate_limited' })).toBe(2);
    expect(sample(m, 'slipway_webhook_intake_duration_seconds_count', { outcome: 'rejected' })).toBe(2);
  });
});

describe('the Redis bus gauge', () => {
  let redis: RedisServer;
  let s: TestServer;
  beforeAll(async () => {
    redis = await startRedis();
    s = await startTestServer('sqlite', { REDIS_URL: redis.url, PUSHER_APP_SECRET: 'metrics-pusher-secret' });
  }, 30_000);
  afterAll(async () => {
    await s?.close();
    await redis?.stop();
  });

  it('is 1 while the bus is connected, 0 once Redis is gone', { timeout: 30_000 }, async () => {
    expect(sample(await scrape(`${s.url}/metrics`), 'slipway_realtime_redis_bus_connected')).toBe(1);
    await redis.stop();
    await expect.poll(async () => sample(await scrape(`${s.url}/metrics`), 'slipway_realtime_redis_bus_connected'), { timeout: 15_000 }).toBe(0);
  });
});
