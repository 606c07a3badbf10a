import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, startTestServer, TEST_SECRET, type TestServer } from '../test-support/server.ts';
import { call, sendWebhook, sign } from '../test-support/http.ts';
import type { DeploymentChange } from '../deployments/broadcaster.ts';
import { Webhook } from 'standardwebhooks';
import { newWebhookSecret } from '../config/secrets.ts';

const PATH = '/api/webhooks/dokploy/deployment';
/** A third configured secret, in Standard Webhooks' own format (`slipway secret --format whsec`). */
const WHSEC = newWebhookSecret('whsec');

describe.each(DIALECTS)('webhook intake on %s', (dialect) => {
  let s: TestServer;
  const changes: DeploymentChange[] = [];
  const db = () => s.ctx.database.db;
  const count = async (table: 'deployments' | 'deployment_events' | 'webhook_deliveries') =>
    Number((await db().selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    s = await startTestServer(dialect, { DOKPLOY_WEBHOOK_SECRET: `old-secret-0123456789,${TEST_SECRET},${WHSEC}`, WEBHOOK_MAX_BODY_BYTES: '4096' });
    s.ctx.broadcaster.add({ publish: (c) => void changes.push(c) });
  });
  afterAll(() => s?.close());

  it("accepts the spec's own openssl + curl test, verbatim", async () => {
    const script = `
SECRET="${TEST_SECRET}"
PAYLOAD='{"deploymentId":"test-123","status":"done","branch":"module/test","message":"Test deployment"}'
SIGNATURE=$(echo -n "$PAYLOAD" | openssl dgst -sha256 -hmac "$SECRET" | cut -d' ' -f2)

curl -X POST ${s.url}/api/webhooks/dokploy/deployment \\
  -H "Content-Type: application/json" \\
  -H "X-Webhook-Signature: sha256=$SIGNATURE" \\
  -d "$PAYLOAD"`;
    // Async: the server answers from this same process.
    const out = JSON.parse((await promisify(execFile)('bash', ['-c', script], { encoding: 'utf8' })).stdout);
    expect(out).toMatchObject({ ok: true, outcome: 'accepted', status: 'success' });
    const row = await db().selectFrom('deployments').selectAll().where('id', '=', Number(out.deployment_id)).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ module_slug: 'test', branch_name: 'module/test', status: 'success', progress: 100, message: "Module 'test' deployed successfully! 🎉" });
    const delivery = await db().selectFrom('webhook_deliveries').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(delivery).toMatchObject({ signature_valid: 1, outcome: 'accepted', http_status: 200 });
  });

  it('follows a deployment running → done and emits one change per accepted delivery, in sequence', async () => {
    const base = { deploymentId: 'gh-1001', applicationId: 'backend', branch: 'module/products', commit: 'abc123def456', moduleName: 'products', isModuleBranch: true };
    const before = changes.length;
    const r1 = await sendWebhook(s.url, { ...base, status: 'running', message: 'Building...' }, TEST_SECRET);
    const r2 = await sendWebhook(s.url, { ...base, status: 'running', stage: 'deploy', message: 'Deploying...' }, TEST_SECRET);
    const r3 = await sendWebhook(s.url, { ...base, status: 'done', message: "Module 'products' deployed successfully! 🎉", timestamp: new Date().toISOString() }, TEST_SECRET);
    expect([r1.body.status, r2.body.status, r3.body.status]).toEqual(['building', 'deploying', 'success']);
    expect(new Set([r1.body.deployment_id, r2.body.deployment_id, r3.body.deployment_id]).size).toBe(1);
    const mine = changes.slice(before);
    expect(mine.map((c) => c.sequence)).toEqual([1, 2, 3]);
    expect(mine[2]!.payload).toMatchObject({
      module_slug: 'products',
      branch_name: 'module/products',
      status: 'success',
      progress: 100,
      message: "Module 'products' deployed successfully! 🎉",
      logs: ['Building...', 'Deploying...', "Module 'products' deployed successfully! 🎉"],
      commit_sha: 'abc123def456',
    });
    expect(mine[2]!.payload.finished_at).not.toBeNull();
  });

  it('answers a repeated delivery 200 and changes nothing', async () => {
    const payload = { deploymentId: 'gh-2002', applicationId: 'backend', branch: 'module/orders', status: 'running' };
    const first = await sendWebhook(s.url, payload, TEST_SECRET);
    const events = await count('deployment_events');
    const again = await sendWebhook(s.url, payload, TEST_SECRET);
    expect(first.body.outcome).toBe('accepted');
    expect(again).toMatchObject({ status: 200, body: { outcome: 'duplicate' } });
    expect(await count('deployment_events')).toBe(events);
  });

  it('answers simultaneous deliveries each after its own commit: copies are duplicates, a failure stays its own', async () => {
    // Sent at once, so they share group commits. The copies of gh-5005 and one invalid delivery
    // must not disturb the others of their batch.
    const reports = Array.from({ length: 24 }, (_, i) => ({ deploymentId: `gh-5${String(i).padStart(3, '0')}`, applicationId: 'backend', branch: `module/burst-${i}`, status: 'running' }));
    const copy = { deploymentId: 'gh-5005', applicationId: 'backend', branch: 'module/burst-5', status: 'running' };
    const [deployments, deliveries] = [await count('deployments'), await count('webhook_deliveries')];
    const answers = await Promise.all([
      ...reports.map((r) => sendWebhook(s.url, r, TEST_SECRET)),
      sendWebhook(s.url, copy, TEST_SECRET),
      sendWebhook(s.url, { status: 'exploded', branch: 'module/burst-bad' }, TEST_SECRET),
    ]);
    const outcomes = answers.map((a) => a.body.outcome ?? a.body.error);
    expect(outcomes.filter((o) => o === 'accepted')).toHaveLength(24);
    expect(outcomes.filter((o) => o === 'duplicate')).toHaveLength(1);
    expect(answers.at(-1)).toMatchObject({ status: 422, body: { error: 'invalid_payload' } });
    expect(await count('deployments')).toBe(deployments + 24);
    expect(await count('webhook_deliveries')).toBe(deliveries + 26);
    // Every accepted answer names a deployment that is stored with the status it answered.
    for (const a of answers.filter((x) => x.body.outcome === 'accepted')) {
      const row = await db().selectFrom('deployments').select(['status', 'last_sequence']).where('id', '=', Number(a.body.deployment_id)).executeTakeFirstOrThrow();
      expect(row).toEqual({ status: 'building', last_sequence: 1 });
    }
  });

  it('ignores a late running after done, without moving back', async () => {
    const base = { deploymentId: 'gh-3003', applicationId: 'frontend', branch: 'module/late' };
    await sendWebhook(s.url, { ...base, status: 'done' }, TEST_SECRET);
    const late = await sendWebhook(s.url, { ...base, status: 'running', message: 'late' }, TEST_SECRET);
    expect(late.body).toMatchObject({ outcome: 'ignored', message: 'target already success' });
    const d = await db().selectFrom('deployments').select('status').where('id', '=', Number(late.body.deployment_id)).executeTakeFirstOrThrow();
    expect(d.status).toBe('success');
  });

  it('accepts both rotated secrets and Standard Webhooks headers', async () => {
    const old = await sendWebhook(s.url, { deploymentId: 'gh-4004', status: 'running', branch: 'module/rot' }, 'old-secret-0123456789');
    expect(old.status).toBe(200);
    const body = JSON.stringify({ deploymentId: 'gh-4004', status: 'done', branch: 'module/rot' });
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = createHmac('sha256', TEST_SECRET).update(`msg_1.${ts}.${body}`).digest('base64');
    const std = await call(s.url, 'POST', '/api/webhooks/dokploy/deployment', {
      body,
      headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` },
    });
    expect(std.body).toMatchObject({ outcome: 'accepted', status: 'success', deployment_id: old.body.deployment_id });
  });

  describe('bad input gets a clear JSON error, is recorded, and changes nothing', () => {
    const valid = JSON.stringify({ deploymentId: 'gh-bad', status: 'running', branch: 'module/bad' });
    const cases: [string, () => Promise<{ status: number; body: any }>, number, string, number][] = [
      ['no signature', () => call(s.url, 'POST', '/api/webhooks/dokploy/deployment', { body: valid }), 401, 'invalid_signature', 0],
      ['wrong signature', () => call(s.url, 'POST', '/api/webhooks/dokploy/deployment', { body: valid, headers: { 'x-webhook-signature': sign(valid, 'nope') } }), 401, 'invalid_signature', 0],
      ['body over the limit', () => sendWebhook(s.url, JSON.stringify({ status: 'running', message: 'x'.repeat(5000) }), TEST_SECRET), 413, 'payload_too_large', 0],
      ['malformed JSON', () => sendWebhook(s.url, '{"status":', TEST_SECRET), 400, 'malformed_json', 1],
      ['unknown status', () => sendWebhook(s.url, { status: 'exploded', branch: 'module/bad' }, TEST_SECRET), 422, 'invalid_payload', 1],
      ['field of the wrong type', () => sendWebhook(s.url, { status: 'running', isModuleBranch: 'yes' }, TEST_SECRET), 422, 'invalid_payload', 1],
      ['not an object', () => sendWebhook(s.url, '[1,2]', TEST_SECRET), 422, 'invalid_payload', 1],
      ['stale signed timestamp', () => sendWebhook(s.url, { status: 'running', branch: 'module/bad', timestamp: '2020-01-01T00:00:00Z' }, TEST_SECRET), 401, 'stale_timestamp', 1],
    ];
    it.each(cases)('%s', async (_name, send, status, error, signatureValid) => {
      const [deployments, events, deliveries] = [await count('deployments'), await count('deployment_events'), await count('webhook_deliveries')];
      const r = await send();
      expect(r.status).toBe(status);
      expect(r.body).toMatchObject({ error, message: expect.any(String) });
      expect(await count('deployments')).toBe(deployments);
      expect(await count('deployment_events')).toBe(events);
      expect(await count('webhook_deliveries')).toBe(deliveries + 1);
      const rec = await db().selectFrom('webhook_deliveries').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(rec).toMatchObject({ outcome: 'rejected', http_status: status, signature_valid: signatureValid });
    });

    it('names the bad field', async () => {
      const r = await sendWebhook(s.url, { status: 'running', isModuleBranch: 'yes' }, TEST_SECRET);
      expect(r.body.details).toEqual([{ field: 'isModuleBranch', message: expect.any(String) }]);
    });
  });

  it('accepts a delivery signed by the official standardwebhooks library with a whsec_ secret', async () => {
    const body = JSON.stringify({ deploymentId: 'gh-std-lib', applicationId: 'backend', status: 'running', branch: 'module/stdlib' });
    const id = 'msg_library_1';
    const signature = new Webhook(WHSEC).sign(id, new Date(), body);
    const r = await call(s.url, 'POST', PATH, { body, headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': signature } });
    expect(r).toMatchObject({ status: 200, body: { outcome: 'accepted', status: 'building' } });
  });

  it('keeps of a delivery without a valid signature a few short headers and the reason, never its body', async () => {
    const body = JSON.stringify({ status: 'done', branch: 'module/flood', message: 'x'.repeat(3000) });
    const r = await call(s.url, 'POST', PATH, {
      body,
      headers: { 'user-agent': 'u'.repeat(1000), 'x-padding': 'p'.repeat(2000), cookie: 'session=abc', 'x-webhook-signature': `sha256=${'0'.repeat(64)}` },
    });
    expect(r).toMatchObject({ status: 401, body: { error: 'invalid_signature' } });
    const row = await db().selectFrom('webhook_deliveries').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ outcome: 'rejected', signature_valid: 0, http_status: 401, body: null, error: 'invalid_signature: signature does not match' });
    const headers = JSON.parse(row.headers) as Record<string, string>;
    expect(Object.keys(headers).sort()).toEqual(['content-length', 'content-type', 'user-agent']);
    expect(headers['user-agent']!.length).toBeLessThanOrEqual(200);
    expect(row.headers.length + (row.error ?? '').length).toBeLessThan(600);
  });

  describe('NUL gets the same answers on both databases', () => {
    it('answers an unsigned body holding a raw 0x00 with 401', async () => {
      const r = await call(s.url, 'POST', PATH, { body: '{"status":"done","message":"a\u0000b"}' });
      expect(r).toMatchObject({ status: 401, body: { error: 'invalid_signature' } });
    });

    it('accepts a signed report whose message holds \\u0000, with U+FFFD in its place', async () => {
      const r = await sendWebhook(s.url, { deploymentId: 'gh-nul-1', applicationId: 'backend', status: 'running', branch: 'module/nul', message: 'before\u0000after' }, TEST_SECRET);
      expect(r).toMatchObject({ status: 200, body: { outcome: 'accepted' } });
      const d = await db().selectFrom('deployments').select('message').where('id', '=', Number(r.body.deployment_id)).executeTakeFirstOrThrow();
      expect(d.message).toBe('before\uFFFDafter');
    });

    it('answers a signed body with a raw 0x00 (not JSON) with 400, and records it', async () => {
      const r = await sendWebhook(s.url, '{"status":"running","message":"\u0000"}', TEST_SECRET);
      expect(r).toMatchObject({ status: 400, body: { error: 'malformed_json' } });
      const row = await db().selectFrom('webhook_deliveries').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(row).toMatchObject({ outcome: 'rejected', signature_valid: 1, http_status: 400 });
      expect(row.body).toBe('{"status":"running","message":"\uFFFD"}');
    });

    it('accepts a signed Standard Webhooks delivery whose webhook-id is longer than the idempotency column', async () => {
      const body = JSON.stringify({ deploymentId: 'gh-long-id', applicationId: 'backend', status: 'running', branch: 'module/longid' });
      const id = `msg_${'i'.repeat(4000)}`;
      const r = await call(s.url, 'POST', PATH, { body, headers: { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': new Webhook(WHSEC).sign(id, new Date(), body) } });
      expect(r).toMatchObject({ status: 200, body: { outcome: 'accepted' } });
    });
  });

  it('correlates without an external id to the newest unfinished deployment of branch and app, and a new commit starts a new one', async () => {
    const first = await sendWebhook(s.url, { applicationId: 'backend', branch: 'module/corr', commit: 'c1', status: 'running' }, TEST_SECRET);
    const same = await sendWebhook(s.url, { applicationId: 'backend', branch: 'module/corr', commit: 'c1', status: 'running', stage: 'deploy' }, TEST_SECRET);
    const other = await sendWebhook(s.url, { applicationId: 'backend', branch: 'module/corr', commit: 'c2', status: 'running' }, TEST_SECRET);
    expect(same.body.deployment_id).toBe(first.body.deployment_id);
    expect(other.body.deployment_id).not.toBe(first.body.deployment_id);
  });
});
