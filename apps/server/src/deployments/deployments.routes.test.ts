import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, DIALECTS, startTestServer, TEST_SECRET, type TestServer } from '../test-support/server.ts';
import { call, sendWebhook } from '../test-support/http.ts';

describe.each(DIALECTS)('admin API and accounts on %s', (dialect) => {
  let s: TestServer;
  let adminToken: string;
  let aliceToken: string;
  let bobToken: string;
  let aliceDeployment: string;

  beforeAll(async () => {
    s = await startTestServer(dialect);
    const { auth, deployments, database } = s.ctx;
    await auth.addUser('alice@example.com', 'alice-password', 'member');
    const bob = await auth.addUser('bob@example.com', 'bob-password', 'member');
    adminToken = await auth.createToken(ADMIN.email, 'test');
    aliceToken = await auth.createToken('alice@example.com', 'test');
    bobToken = await auth.createToken('bob@example.com', 'test');
    const alice = (await database.db.selectFrom('users').select('id').where('email', '=', 'alice@example.com').executeTakeFirstOrThrow()).id;
    // Deployments as a module publish creates them: owned, one target per application.
    const now = new Date().toISOString();
    const d = await deployments.create(database.db, { moduleSlug: 'products', branch: 'module/products', commit: 'aaa111', ownerId: alice, targets: [{ applicationId: 'backend', commitSha: 'aaa111' }, { applicationId: 'frontend', commitSha: 'bbb222' }] }, now);
    aliceDeployment = d.deploymentId;
    await deployments.create(database.db, { moduleSlug: 'invoices', branch: 'module/invoices', commit: 'ccc333', ownerId: bob.id, targets: [{ applicationId: 'backend', commitSha: 'ccc333' }] }, now);
  });
  afterAll(() => s?.close());

  it('refuses requests without credentials or with a bad token', async () => {
    expect((await call(s.url, 'GET', '/api/admin/deployments/active')).status).toBe(401);
    const bad = await call(s.url, 'GET', '/api/admin/deployments/active', { token: 'slp_nope' });
    expect(bad).toMatchObject({ status: 401, body: { error: 'unauthenticated' } });
  });

  it('shows members their own deployments only, and admins all', async () => {
    const alice = await call(s.url, 'GET', '/api/admin/deployments/active', { token: aliceToken });
    expect(alice.body.data.map((d: any) => d.module_slug)).toEqual(['products']);
    const admin = await call(s.url, 'GET', '/api/admin/deployments/active', { token: adminToken });
    expect(admin.body.data.map((d: any) => d.module_slug).sort()).toEqual(['invoices', 'products']);
    expect((await call(s.url, 'GET', `/api/admin/deployments/${aliceDeployment}`, { token: bobToken })).status).toBe(404);
    expect((await call(s.url, 'GET', '/api/admin/deployments/products/status', { token: bobToken })).status).toBe(404);
  });

  it("follows CI's reports on a published deployment, target by target", async () => {
    const report = (applicationId: string, commit: string, status: string, extra = {}) =>
      sendWebhook(s.url, { deploymentId: `gh-${applicationId}-1`, applicationId, branch: 'module/products', commit, moduleName: 'products', isModuleBranch: true, status, ...extra }, TEST_SECRET);
    expect((await report('backend', 'aaa111', 'running', { message: 'Building...' })).body.deployment_id).toBe(aliceDeployment);
    expect((await report('backend', 'aaa111', 'done')).body).toMatchObject({ deployment_id: aliceDeployment, status: 'pending' });
    let st = await call(s.url, 'GET', '/api/admin/deployments/products/status', { token: aliceToken });
    expect(st.body).toMatchObject({ deployment_id: aliceDeployment, status: 'pending', progress: 50 });
    expect(st.body.targets.map((t: any) => [t.application_id, t.status, t.external_id])).toEqual([
      ['backend', 'success', 'gh-backend-1'],
      ['frontend', 'pending', null],
    ]);
    await report('frontend', 'bbb222', 'done', { url: 'http://products.example.test' });
    st = await call(s.url, 'GET', '/api/admin/deployments/products/status', { token: aliceToken });
    expect(st.body).toMatchObject({ status: 'success', progress: 100, message: "Module 'products' deployed successfully! 🎉", url: 'http://products.example.test' });
    expect(st.body.events.map((e: any) => e.sequence)).toEqual([1, 2, 3, 4]);
    expect(st.body.all_logs).toContain('Building...');
  });

  it('pages through the history, newest first, with filters', async () => {
    const p1 = await call(s.url, 'GET', '/api/admin/deployments?per_page=1&page=1', { token: adminToken });
    expect(p1.body.meta).toEqual({ page: 1, per_page: 1, total: 2 });
    const p2 = await call(s.url, 'GET', '/api/admin/deployments?per_page=1&page=2', { token: adminToken });
    expect(p2.body.data).toHaveLength(1);
    expect(p2.body.data[0].deployment_id).not.toBe(p1.body.data[0].deployment_id);
    const done = await call(s.url, 'GET', '/api/admin/deployments?status=success', { token: adminToken });
    expect(done.body.data.map((d: any) => d.module_slug)).toEqual(['products']);
    const bad = await call(s.url, 'GET', '/api/admin/deployments?per_page=1000&status=weird', { token: adminToken });
    expect(bad.status).toBe(422);
    expect(bad.body.details.map((d: any) => d.field).sort()).toEqual(['per_page', 'status']);
  });

  it('signs in with a cookie session, protects changes against CSRF, and signs out', async () => {
    const wrong = await call(s.url, 'POST', '/api/auth/login', { body: { email: 'alice@example.com', password: 'nope-nope' } });
    expect(wrong.status).toBe(401);
    const login = await call(s.url, 'POST', '/api/auth/login', { body: { email: 'alice@example.com', password: 'alice-password' } });
    expect(login.status).toBe(200);
    const cookies = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    expect(login.headers.getSetCookie().find((c) => c.startsWith('slipway_session='))).toMatch(/HttpOnly/i);
    const csrf = login.body.csrf_token as string;
    const me = await call(s.url, 'GET', '/api/auth/me', { headers: { cookie: cookies } });
    expect(me.body).toEqual({ id: expect.any(Number), email: 'alice@example.com', role: 'member' });
    const forged = await call(s.url, 'POST', '/api/auth/logout', { headers: { cookie: cookies } });
    expect(forged).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    const out = await call(s.url, 'POST', '/api/auth/logout', { headers: { cookie: cookies, 'x-xsrf-token': csrf } });
    expect(out.status).toBe(200);
    expect((await call(s.url, 'GET', '/api/auth/me', { headers: { cookie: cookies } })).status).toBe(401);
  });

  it('answers /healthz', async () => {
    expect((await call(s.url, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
  });
});
