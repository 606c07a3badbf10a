/**
 * Issue 12, item 2: a deployment whose backend failed while its frontend succeeded speaks for the
 * backend (message and history), never with the success line, whichever target reports last.
 */
import { successMessage } from '@slipway/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sendWebhook } from '../test-support/http.ts';
import { ADMIN, DIALECTS, startTestServer, TEST_SECRET, type TestServer } from '../test-support/server.ts';

describe.each(DIALECTS)('a partly failed deployment on %s', (dialect) => {
  let s: TestServer;
  let token: string;

  beforeAll(async () => {
    s = await startTestServer(dialect);
    token = await s.ctx.auth.createToken(ADMIN.email, 'test');
  });
  afterAll(() => s?.close());

  async function deploy(slug: string) {
    const now = new Date().toISOString();
    const targets = [{ applicationId: 'backend', commitSha: 'aaa111' }, { applicationId: 'frontend', commitSha: 'bbb222' }];
    await s.ctx.deployments.create(s.ctx.database.db, { moduleSlug: slug, branch: `module/${slug}`, commit: 'aaa111', ownerId: null, targets }, now);
    return (applicationId: string, status: string, extra: Record<string, unknown> = {}) =>
      sendWebhook(s.url, { deploymentId: `run-${slug}-${applicationId}`, applicationId, branch: `module/${slug}`, commit: applicationId === 'backend' ? 'aaa111' : 'bbb222', moduleName: slug, isModuleBranch: true, status, ...extra }, TEST_SECRET);
  }
  const status = async (slug: string) => (await call(s.url, 'GET', `/api/admin/deployments/${slug}/status`, { token })).body;

  it('the frontend succeeds first, then the backend fails without a message: the backend is named', async () => {
    const report = await deploy('orders');
    await report('backend', 'running', { logs: ['backend: npm test'] });
    await report('frontend', 'done', { message: successMessage('orders'), logs: ['frontend: pages rendered'] });
    await report('backend', 'error', { logs: ['backend: relation to ghost: no such module'] });
    const st = await status('orders');
    expect(st.status).toBe('failed');
    expect(st.message).toBe('backend: failed');
    expect(JSON.stringify(st.message)).not.toContain('deployed');
    const list = await call(s.url, 'GET', '/api/admin/deployments?module=orders', { token });
    expect(list.body.data[0].message).toBe('backend: failed');
  });

  it('the backend fails first, then the frontend says the success line: the failure stays, with its reason', async () => {
    const report = await deploy('invoices');
    await report('backend', 'running', { logs: ['backend: build'] });
    await report('backend', 'error', { message: 'Build failed: npm test exited 1', logs: ['backend: relation to ghost: no such module'] });
    await report('frontend', 'running', { logs: ['frontend: build'] });
    await report('frontend', 'done', { message: successMessage('invoices'), logs: ['frontend: pages rendered'] });
    const st = await status('invoices');
    expect(st).toMatchObject({ status: 'failed', message: 'backend: Build failed: npm test exited 1' });
    // The history names each event's application: the page takes the failed stage and log from it.
    const backend = st.events.filter((e: { application_id: string | null }) => e.application_id === 'backend');
    expect(backend.map((e: { status: string }) => e.status)).toEqual(['building', 'failed']);
    expect(backend.flatMap((e: { logs: string[] }) => e.logs)).toEqual(['backend: build', 'backend: relation to ghost: no such module']);
  });
});
