import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentChange } from './broadcaster.ts';
import { ciMessage } from './deployment-summary.ts';
import { call, sign } from '../test-support/http.ts';
import { ADMIN, DIALECTS, startTestServer, TEST_SECRET, type TestServer } from '../test-support/server.ts';

describe('ciMessage', () => {
  const t = (id: number, message: string | null, updated_at: string) => ({ id, message, updated_at });

  it("is the message of the target that changed last, and null before any report carried one", () => {
    expect(ciMessage([])).toBeNull();
    expect(ciMessage([t(1, null, '2026-01-01T10:00:05.000Z')])).toBeNull();
    expect(ciMessage([t(1, 'Backend deployed', '2026-01-01T10:00:05.000Z'), t(2, 'Frontend built', '2026-01-01T10:00:03.000Z')])).toBe('Backend deployed');
    expect(ciMessage([t(1, 'Backend deployed', '2026-01-01T10:00:05.000Z'), t(2, null, '2026-01-01T10:00:09.000Z')])).toBe('Backend deployed');
    expect(ciMessage([t(1, 'first', '2026-01-01T10:00:05.000Z'), t(2, 'second', '2026-01-01T10:00:05.000Z')])).toBe('second');
  });
});

describe.each(DIALECTS)("CI's own message beside the status text on %s", (dialect) => {
  let s: TestServer;
  let token: string;
  const broadcasts: DeploymentChange[] = [];

  beforeAll(async () => {
    s = await startTestServer(dialect);
    token = await s.ctx.auth.createToken(ADMIN.email, 'test');
    s.ctx.broadcaster.add({ publish: (c) => void broadcasts.push(c) });
  });
  afterAll(() => s?.close());

  /** Sends a body exactly as given (the README's curl test signs the text it sends). */
  const post = (body: string) =>
    call(s.url, 'POST', '/api/webhooks/dokploy/deployment', { body, headers: { 'content-type': 'application/json', 'x-webhook-signature': sign(body, TEST_SECRET) } });

  it("keeps 'Test deployment' from the README's curl test while the deployment says it succeeded", async () => {
    const payload = '{"deploymentId":"test-123","status":"done","branch":"module/test","message":"Test deployment"}';
    const r = await post(payload);
    expect(r.body).toMatchObject({ ok: true, outcome: 'accepted', status: 'success' });
    const id = r.body.deployment_id as string;

    const success = "Module 'test' deployed successfully! 🎉";
    const detail = await call(s.url, 'GET', `/api/admin/deployments/${id}`, { token });
    expect(detail.body).toMatchObject({ status: 'success', message: success, ci_message: 'Test deployment' });
    expect(detail.body.events.map((e: { message: string }) => e.message)).toEqual(['Test deployment']);

    const status = await call(s.url, 'GET', '/api/admin/deployments/test/status', { token });
    expect(status.body).toMatchObject({ message: success, ci_message: 'Test deployment' });
    const list = await call(s.url, 'GET', '/api/admin/deployments?module=test', { token });
    expect(list.body.data).toEqual([expect.objectContaining({ deployment_id: id, message: success, ci_message: 'Test deployment' })]);

    const live = broadcasts.filter((b) => b.deploymentId === id).at(-1);
    expect(live?.payload).toMatchObject({ status: 'success', message: success, ci_message: 'Test deployment' });
  });

  it("follows CI's newest message, and keeps it when the last report carries none", async () => {
    const report = (applicationId: string, status: string, message?: string) =>
      post(JSON.stringify({ deploymentId: `gh-${applicationId}-9`, applicationId, branch: 'module/orders', commit: 'abc1234', moduleName: 'orders', status, ...(message ? { message } : {}) }));
    const first = await report('backend', 'running', 'Building backend image');
    const id = first.body.deployment_id as string;
    expect(broadcasts.at(-1)?.payload).toMatchObject({ status: 'building', ci_message: 'Building backend image' });

    await report('backend', 'running', 'Pushing backend image');
    expect(broadcasts.at(-1)?.payload).toMatchObject({ deployment_id: id, ci_message: 'Pushing backend image' });
    await report('backend', 'done'); // no message: CI's last words stay
    const d = await call(s.url, 'GET', `/api/admin/deployments/${id}`, { token });
    expect(d.body).toMatchObject({ status: 'success', message: "Module 'orders' deployed successfully! 🎉", ci_message: 'Pushing backend image' });
  });

  it('on a published deployment with two applications, shows what the last one to report said', async () => {
    const users = s.ctx.database.db;
    const owner = (await users.selectFrom('users').select('id').where('email', '=', ADMIN.email).executeTakeFirstOrThrow()).id;
    const created = await s.ctx.deployments.create(
      s.ctx.database.db,
      { moduleSlug: 'invoices', branch: 'module/invoices', commit: 'fff0001', ownerId: owner, targets: [{ applicationId: 'backend', commitSha: 'fff0001' }, { applicationId: 'frontend', commitSha: 'fff0002' }] },
      new Date().toISOString(),
    );
    expect(created.payload.ci_message).toBeNull();
    const report = (applicationId: string, commit: string, message: string) =>
      post(JSON.stringify({ deploymentId: `gh-inv-${applicationId}`, applicationId, branch: 'module/invoices', commit, status: 'done', message }));
    await report('backend', 'fff0001', 'Backend live');
    let d = await call(s.url, 'GET', `/api/admin/deployments/${created.deploymentId}`, { token });
    expect(d.body).toMatchObject({ status: 'pending', ci_message: 'Backend live' });
    await new Promise((r) => setTimeout(r, 5)); // a later millisecond: the order is by time
    await report('frontend', 'fff0002', 'Frontend live');
    d = await call(s.url, 'GET', `/api/admin/deployments/${created.deploymentId}`, { token });
    expect(d.body).toMatchObject({ status: 'success', message: "Module 'invoices' deployed successfully! 🎉", ci_message: 'Frontend live' });
    expect(d.body.targets.map((t: { application_id: string; message: string }) => [t.application_id, t.message])).toEqual([
      ['backend', 'Backend live'],
      ['frontend', 'Frontend live'],
    ]);
  });
});
