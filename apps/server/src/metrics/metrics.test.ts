/**
 * Issue 14, item 1: `/metrics` scraped after a real deployment. A real server (SQLite, PostgreSQL) publishes a
 * module to two git repositories, CI's signed webhooks take it to success, a websocket client
 * subscribes; the scrape must show each of those in its counters, histograms and gauges.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ensureBareRepo } from '../git/index.ts';
import { DEFAULT_APP_KEY } from '../realtime/index.ts';
import { call, sendWebhook } from '../test-support/http.ts';
import { ADMIN, DIALECTS, startTestServer, TEST_SECRET, type TestServer } from '../test-support/server.ts';
import { sample, scrape, type Samples } from './testing.ts';

const mod = { name: 'Gauges', fields: [{ name: 'title', type: 'string', required: true }], applications: ['backend', 'frontend'] };

describe.each(DIALECTS)('GET /metrics after a real deployment, on %s', (dialect) => {
  let s: TestServer;
  let admin: string;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-metrics-'));
  let before: Samples;

  beforeAll(async () => {
    const repos = join(dir, 'remotes');
    for (const app of ['backend', 'frontend']) await ensureBareRepo(repos, app, { initialFiles: [{ path: 'README.md', content: `# ${app}\n` }] });
    writeFileSync(join(dir, 'apps.yaml'), `applications:\n  - id: backend\n    repoUrl: ${join(repos, 'backend.git')}\n  - id: frontend\n    repoUrl: ${join(repos, 'frontend.git')}\n`);
    // The create call waits for its publish, so the pushes are done when it answers.
    s = await startTestServer(dialect, { SLIPWAY_CONFIG: join(dir, 'apps.yaml'), SLIPWAY_PUBLISH_WAIT_MS: '60000' });
    admin = await s.ctx.auth.createToken(ADMIN.email, 't');
    before = await scrape(`${s.url}/metrics`);
  });
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts with every outcome and status at zero, and the process defaults', () => {
    for (const outcome of ['accepted', 'ignored', 'duplicate', 'rejected', 'failed', 'rate_limited']) expect(sample(before, 'slipway_webhook_deliveries_total', { outcome })).toBe(0);
    for (const status of ['pending', 'building', 'deploying', 'success', 'failed', 'cancelled']) expect(sample(before, 'slipway_deployments', { status })).toBe(0);
    expect(sample(before, 'slipway_deployment_publish_to_live_seconds_count')).toBe(0);
    expect(sample(before, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(before, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(before, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(sample(before, 'slipway_realtime_connections')).toBe(0);
    // Embedded realtime: no Redis bus, so no bus sample.
    expect(sample(before, 'slipway_realtime_redis_bus_connected')).toBeUndefined();
  });

  it('counts the publish, the deliveries by outcome, the deployment by status and the time to live', { timeout: 60_000 }, async () => {
    const created = await call(s.url, 'POST', '/api/admin/modules', { token: admin, body: mod });
    expect(created.status).toBe(201);
    const commits = Object.fromEntries(created.body.branches.map((b: any) => [b.application, b.commit]));
    const report = (app: string, status: string, message = `${app} ${status}`) =>
      sendWebhook(s.url, { deploymentId: `ci-${app}`, applicationId: app, branch: 'module/gauges', commit: commits[app], status, message }, TEST_SECRET);

    for (const app of ['backend', 'frontend']) expect((await report(app, 'running')).body.outcome).toBe('accepted');
    expect((await report('backend', 'done')).body.outcome).toBe('accepted');
    // The same delivery again (same bytes: the signature is its key): a duplicate.
    expect((await report('backend', 'done')).body.outcome).toBe('duplicate');
    // A late `running` after `done` never moves the target back: ignored.
    expect((await report('backend', 'running', 'a late retry')).body.outcome).toBe('ignored');
    const last = await report('frontend', 'done');
    expect(last.body).toMatchObject({ outcome: 'accepted', status: 'success' });
    // Two rejects: a wrong signature, and a signed body that is not JSON.
    expect((await sendWebhook(s.url, { deploymentId: 'x', status: 'done', branch: 'module/x' }, 'not-the-secret-at-all')).status).toBe(401);
    expect((await sendWebhook(s.url, '{not json', TEST_SECRET)).status).toBe(400);

    const after = await scrape(`${s.url}/metrics`);
    const delta = (name: string, labels: Record<string, string> = {}) => (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(delta('slipway_webhook_deliveries_total', { outcome: 'accepted' })).toBe(4);
    expect(delta('slipway_webhook_deliveries_total', { outcome: 'duplicate' })).toBe(1);
    expect(delta('slipway_webhook_deliveries_total', { outcome: 'ignored' })).toBe(1);
    expect(delta('slipway_webhook_deliveries_total', { outcome: 'rejected' })).toBe(2);
    expect(delta('slipway_webhook_deliveries_total', { outcome: 'failed' })).toBe(0);
    expect(sample(after, 'slipway_webhook_rejections_total', { reason: 'invalid_signature' })).toBe(1);
    expect(sample(after, 'slipway_webhook_rejections_total', { reason: 'malformed_json' })).toBe(1);
    // The intake latency histogram: one observation per delivery, in its outcome's series.
    expect(sample(after, 'slipway_webhook_intake_duration_seconds_count', { outcome: 'accepted' })).toBe(4);
    expect(sample(after, 'slipway_webhook_intake_duration_seconds_sum', { outcome: 'accepted' })).toBeGreaterThan(0);
    expect(sample(after, 'slipway_webhook_intake_duration_seconds_bucket', { outcome: 'accepted', le: '+Inf' })).toBe(4);
    expect(sample(after, 'slipway_webhook_intake_duration_seconds_count', { outcome: 'rejected' })).toBe(2);

    // Deployments by status, read from the database at scrape time.
    expect(sample(after, 'slipway_deployments', { status: 'success' })).toBe(1);
    expect(sample(after, 'slipway_deployments', { status: 'pending' })).toBe(0);
    expect(sample(after, 'slipway_deployment_oldest_unfinished_idle_seconds')).toBe(0);
    // From the publish (the deployment's creation) to success: once, and no longer than the test took.
    expect(sample(after, 'slipway_deployment_publish_to_live_seconds_count')).toBe(1);
    const live = sample(after, 'slipway_deployment_publish_to_live_seconds_sum')!;
    expect(live).toBeGreaterThan(0);
    expect(live).toBeLessThan(60);
    // One push per application, each timed.
    for (const application of ['backend', 'frontend']) {
      expect(sample(after, 'slipway_publish_duration_seconds_count', { application, outcome: 'ok' })).toBe(1);
      expect(sample(after, 'slipway_publish_duration_seconds_sum', { application, outcome: 'ok' })).toBeGreaterThan(0);
    }
    // The publish job ran: its kind is reported, with nothing left waiting.
    expect(sample(after, 'slipway_jobs', { kind: 'module.publish', state: 'queued' })).toBe(0);
    expect(sample(after, 'slipway_job_oldest_wait_seconds', { kind: 'module.publish' })).toBe(0);
  });

  it('a later scrape does not count the success again', async () => {
    const again = await scrape(`${s.url}/metrics`);
    expect(sample(again, 'slipway_deployment_publish_to_live_seconds_count')).toBe(1);
    expect(sample(again, 'slipway_deployments', { status: 'success' })).toBe(1);
  });

  it('reports an unfinished deployment without news, and a job waiting past its time', async () => {
    expect((await sendWebhook(s.url, { deploymentId: 'ci-stuck', applicationId: 'backend', branch: 'module/stuck', status: 'running' }, TEST_SECRET)).body.outcome).toBe('accepted');
    // A job of a kind no worker runs, due two minutes ago: it waits, and its wait shows.
    await s.ctx.jobs.enqueue(s.ctx.database.db, { type: 'metrics.test', payload: {}, runAt: new Date(Date.now() - 120_000) });
    await s.ctx.jobs.enqueue(s.ctx.database.db, { type: 'metrics.test', payload: {}, runAt: new Date(Date.now() + 3_600_000) });
    const m = await scrape(`${s.url}/metrics`);
    expect(sample(m, 'slipway_deployments', { status: 'building' })).toBe(1);
    expect(sample(m, 'slipway_deployment_oldest_unfinished_idle_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(m, 'slipway_jobs', { kind: 'metrics.test', state: 'queued' })).toBe(1);
    expect(sample(m, 'slipway_jobs', { kind: 'metrics.test', state: 'scheduled' })).toBe(1);
    expect(sample(m, 'slipway_job_oldest_wait_seconds', { kind: 'metrics.test' })).toBeGreaterThanOrEqual(119);
  });

  it('counts realtime connections, subscriptions and messages in and out', { timeout: 20_000 }, async () => {
    const ws = new WebSocket(`${s.url.replace('http', 'ws')}/app/${DEFAULT_APP_KEY}?protocol=7&client=js&version=8.4.0`);
    const frames: string[] = [];
    ws.on('message', (d) => frames.push(String(d)));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'metrics-public' } }));
    ws.send(JSON.stringify({ event: 'pusher:ping', data: {} }));
    await expect.poll(() => frames.some((f) => f.includes('pusher:pong')), { timeout: 5_000 }).toBe(true);
    try {
      const m = await scrape(`${s.url}/metrics`);
      expect(sample(m, 'slipway_realtime_connections')).toBe(1);
      expect(sample(m, 'slipway_realtime_subscriptions')).toBe(1);
      expect(sample(m, 'slipway_realtime_channels')).toBe(1);
      expect(sample(m, 'slipway_realtime_messages_total', { direction: 'in' })).toBe(2);
      // connection_established, subscription_succeeded, pong.
      expect(sample(m, 'slipway_realtime_messages_total', { direction: 'out' })).toBe(3);
    } finally {
      ws.close();
    }
    await expect.poll(async () => sample(await scrape(`${s.url}/metrics`), 'slipway_realtime_connections'), { timeout: 5_000 }).toBe(0);
  });
});
