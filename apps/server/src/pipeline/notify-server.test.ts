import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPayload, send } from '../../../../packages/notify/notify.mjs';
import { ADMIN, startTestServer, type TestServer } from '../test-support/server.ts';
import { call } from '../test-support/http.ts';

/** The CI notifier against the real Slipway server: what a GitHub Actions job does, minus GitHub. */
describe('notifier → real Slipway server', () => {
  let s: TestServer;
  let token: string;
  const url = () => `${s.url}/api/webhooks/dokploy/deployment`;
  const env = {
    GITHUB_RUN_ID: '987654321',
    GITHUB_REF_NAME: 'module/invoices',
    GITHUB_SHA: 'abc123def456',
    GITHUB_REPOSITORY: 'acme/backend',
    SLIPWAY_APP_ID: 'backend',
  };

  beforeAll(async () => {
    s = await startTestServer('sqlite');
    token = await s.ctx.auth.createToken(ADMIN.email, 'notify test');
  });
  afterAll(() => s?.close());

  it('is accepted, and moves the deployment running → done', async () => {
    const running = await send(url(), JSON.stringify(buildPayload(env, { status: 'running' })), s.secret, { retries: 0 });
    expect(running).toMatchObject({ ok: true, status: 200, attempts: 1 });
    const done = await send(url(), JSON.stringify(buildPayload(env, { status: 'done' })), s.secret, { retries: 0 });
    expect(done).toMatchObject({ ok: true, status: 200 });

    const d = (await call(s.url, 'GET', '/api/admin/deployments/invoices/status', { token })).body;
    expect(d).toMatchObject({
      module_slug: 'invoices',
      branch_name: 'module/invoices',
      status: 'success',
      message: "Module 'invoices' deployed successfully! 🎉",
      commit_sha: 'abc123def456',
      targets: [expect.objectContaining({ application_id: 'backend', external_id: 'gh-987654321' })],
    });
  });

  it('a GitHub "Re-run" of a failed run (same GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT 2) ends in success, both attempts in the events', async () => {
    const rerun = { ...env, GITHUB_RUN_ID: '555', GITHUB_REF_NAME: 'module/refunds', GITHUB_SHA: 'fedcba987654' };
    const post = (e: Record<string, string>, status: string) => send(url(), JSON.stringify(buildPayload(e, { status })), s.secret, { retries: 0 });
    await post({ ...rerun, GITHUB_RUN_ATTEMPT: '1' }, 'running');
    await post({ ...rerun, GITHUB_RUN_ATTEMPT: '1' }, 'error');
    expect((await call(s.url, 'GET', '/api/admin/deployments/refunds/status', { token })).body.status).toBe('failed');
    await post({ ...rerun, GITHUB_RUN_ATTEMPT: '2' }, 'running');
    await post({ ...rerun, GITHUB_RUN_ATTEMPT: '2' }, 'done');
    const d = (await call(s.url, 'GET', '/api/admin/deployments/refunds/status', { token })).body;
    expect(d).toMatchObject({ status: 'success', targets: [expect.objectContaining({ external_id: 'gh-555', status: 'success' })] });
    expect(d.events.map((e: { status: string }) => e.status)).toEqual(['building', 'failed', 'building', 'success']);
  });

  it('gets a 401 with a wrong secret, and does not retry it', async () => {
    let retries = 0;
    const result = await send(url(), JSON.stringify(buildPayload(env, { status: 'error' })), 'wrong-secret', {
      retries: 3,
      sleep: async () => void retries++,
    });
    expect(result).toMatchObject({ ok: false, status: 401, attempts: 1, retryable: false });
    expect(retries).toBe(0);
  });
});
