import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sendWebhook } from '../test-support/http.ts';
import { captureLog } from '../test-support/log-capture.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { acceptedRequestId } from './request-context.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('acceptedRequestId', () => {
  it('keeps a short id of safe characters', () => {
    for (const id of ['abc', 'req-1', 'ci-run_42.attempt:1', 'A'.repeat(64), '0f8fad5b-d9cb-469f-a165-70867728950e']) expect(acceptedRequestId(id)).toBe(id);
  });
  it('refuses anything else: too long, unsafe characters, empty, several values', () => {
    for (const id of ['', 'A'.repeat(65), 'has space', 'new\nline', '<script>', 'a"b', 'x=1;y', '-leading', 'é']) expect(acceptedRequestId(id)).toBeUndefined();
    expect(acceptedRequestId(['a', 'b'])).toBeUndefined();
    expect(acceptedRequestId(undefined)).toBeUndefined();
  });
});

describe('request ids of a running server', () => {
  const { stream, lines } = captureLog();
  let server: TestServer;

  beforeAll(async () => {
    const env = {
      LOG_LEVEL: 'info',
      SLIPWAY_RUNNER: 'false',
      // A deployment CI stops reporting on goes stale at once; the test runs the watchdog itself.
      DEPLOYMENT_STALE_AFTER_SECONDS: '0.2',
      WATCHDOG_INTERVAL_SECONDS: '3600',
    };
    server = await startTestServer('sqlite', env, { log: { pretty: false, destination: stream } });
  });
  afterAll(async () => {
    await server?.close();
  });

  /** The lines written since `from`, parsed; each raw line must name `reqId` at most once. */
  const since = (from: number) =>
    lines.slice(from).map((l) => {
      expect(l.match(/"reqId"/g)?.length ?? 0).toBeLessThanOrEqual(1);
      return JSON.parse(l) as Record<string, any>;
    });

  it("keeps a well-formed X-Request-Id, echoes it, and puts it on the webhook intake's line with the deployment and CI's run id", async () => {
    const from = lines.length;
    const r = await sendWebhook(server.url, { deploymentId: 'gh-run-77', applicationId: 'backend', status: 'running', branch: 'module/ids' }, server.secret, { 'x-request-id': 'proxy-req.42' });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-request-id')).toBe('proxy-req.42');
    const intake = since(from).filter((l) => l.msg === 'Dokploy webhook received');
    expect(intake).toHaveLength(1);
    expect(intake[0]).toMatchObject({ reqId: 'proxy-req.42', outcome: 'accepted', deploymentId: r.body.deployment_id, correlationId: 'gh-run-77', signature_valid: true });
  });

  it('generates a UUID for a request without an id or with a malformed one, and uses it on every line of that request', async () => {
    for (const sent of [undefined, 'not ok; "quoted"', 'x'.repeat(200)]) {
      const from = lines.length;
      const r = await sendWebhook(server.url, { deploymentId: `gh-${from}`, applicationId: 'backend', status: 'running', branch: 'module/ids2' }, server.secret, sent ? { 'x-request-id': sent } : {});
      const id = r.headers.get('x-request-id') ?? '';
      expect(id).toMatch(UUID);
      const own = since(from);
      expect(own.length).toBeGreaterThan(0);
      for (const l of own) expect(l.reqId).toBe(id);
    }
  });

  it('puts the id on the request line of other routes, and on lines a rejected delivery logs', async () => {
    let from = lines.length;
    const r = await call(server.url, 'GET', '/api/admin/deployments', { headers: { 'x-request-id': 'abc-123' } });
    expect(r.status).toBe(401);
    expect(r.headers.get('x-request-id')).toBe('abc-123');
    expect(since(from)).toEqual([expect.objectContaining({ reqId: 'abc-123', http: expect.objectContaining({ path: '/api/admin/deployments', status: 401 }) })]);

    from = lines.length;
    const bad = await sendWebhook(server.url, { deploymentId: 'x', status: 'running' }, 'a-wrong-secret-0123456789', { 'x-request-id': 'unsigned-1' });
    expect(bad.status).toBe(401);
    expect(since(from)).toEqual([expect.objectContaining({ reqId: 'unsigned-1', msg: 'Dokploy webhook received', signature_valid: false })]);
  });

  it("names the deployment and CI's run on the watchdog's lines (a child logger), outside any request", async () => {
    const r = await sendWebhook(server.url, { deploymentId: 'gh-silent-9', applicationId: 'quiet', status: 'running', branch: 'module/silent' }, server.secret);
    expect(r.body.outcome).toBe('accepted');
    await new Promise((done) => setTimeout(done, 400));
    const from = lines.length;
    const actions = await server.ctx.watchdog.runOnce();
    expect(actions.find((a) => String(a.deploymentId) === r.body.deployment_id)?.action).toBe('failed');
    const own = since(from).filter((l) => l.msg === 'watchdog' && l.deploymentId === r.body.deployment_id);
    expect(own).toEqual([expect.objectContaining({ deploymentId: r.body.deployment_id, correlationId: 'gh-silent-9', action: 'failed' })]);
    expect(own[0]!.reqId).toBeUndefined();
  });
});
