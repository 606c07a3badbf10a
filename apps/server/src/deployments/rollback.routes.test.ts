/**
 * Issue #16, item 2: Rollback. On the demo (local runner, hosted backend), v1 is deployed, the
 * module is updated to v2 and deployed, then rolled back to v1's deployment: a NEW deployment,
 * marked `rollback_of`, that runs v1's recorded commit (not the branch head, which stays v2), and
 * the service serves v1 again. Refusals: a deployment that did not succeed (409), one of another
 * module (422), someone else's module (404).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../test-support/http.ts';
import { ADMIN, startTestServer, type TestServer } from '../test-support/server.ts';

async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('rolling a module back (local runner, demo backend)', () => {
  let s: TestServer;
  let alice: string;
  let mallory: string;
  let admin: string;

  beforeAll(async () => {
    s = await startTestServer('sqlite', { SLIPWAY_DEMO: 'true' });
    await s.ctx.auth.addUser('alice@example.com', 'alice-password', 'member');
    await s.ctx.auth.addUser('mallory@example.com', 'mallory-password', 'member');
    alice = await s.ctx.auth.createToken('alice@example.com', 't');
    mallory = await s.ctx.auth.createToken('mallory@example.com', 't');
    admin = await s.ctx.auth.createToken(ADMIN.email, 't');
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  const finished = (id: string | number) =>
    until(`deployment ${id} to finish`, async () => {
      const d = (await call(s.url, 'GET', `/api/admin/deployments/${id}`, { token: alice })).body;
      return ['success', 'failed', 'cancelled'].includes(d.status) && d;
    });
  const latestOf = (slug: string) =>
    until(`a finished deployment of ${slug}`, async () => {
      const d = (await call(s.url, 'GET', `/api/admin/deployments/${slug}/status`, { token: alice })).body;
      return ['success', 'failed', 'cancelled'].includes(d.status) && d;
    });
  const rows = async (url: string) => (await (await fetch(url)).json()) as Record<string, unknown>[];
  const head = (slug: string) => execFileSync('git', ['-C', join(s.dataDir, 'repos', 'backend.git'), 'rev-parse', `module/${slug}`], { encoding: 'utf8' }).trim();

  it('redeploys v1’s commit as a new deployment marked rollback_of, and the service serves v1 again', async () => {
    const v1Fields = [{ name: 'title', type: 'string' }];
    const created = await call(s.url, 'POST', '/api/admin/modules', { token: alice, body: { name: 'Boats', fields: v1Fields, applications: ['backend'] } });
    expect([201, 202]).toContain(created.status);
    const v1 = await latestOf('boats');
    expect(v1.status).toBe('success');
    const v1Commit = v1.targets[0].commit_sha as string;
    const apiUrl = v1.targets[0].url as string;
    expect((await rows(apiUrl))[0]).not.toHaveProperty('price');

    const upd = await call(s.url, 'PUT', '/api/admin/modules/boats', { token: alice, body: { name: 'Boats', fields: [...v1Fields, { name: 'price', type: 'decimal' }], applications: ['backend'] } });
    expect(upd.status).toBe(200);
    const v2 = await finished(upd.body.deployment.deployment_id);
    expect(v2.status).toBe('success');
    const v2Commit = v2.targets[0].commit_sha as string;
    expect(v2Commit).not.toBe(v1Commit);
    expect(head('boats')).toBe(v2Commit);
    await until('v2 to be served', async () => ('price' in ((await rows(v2.targets[0].url))[0] ?? {})));

    // Others: the 404 of a module they cannot see; a failed deployment or another module's: refused.
    expect((await call(s.url, 'POST', '/api/admin/modules/boats/rollback', { token: mallory, body: { deploymentId: v1.deployment_id } })).status).toBe(404);
    expect((await call(s.url, 'POST', '/api/admin/modules/boats/rollback', { token: alice, body: {} })).status).toBe(422);

    const rb = await call(s.url, 'POST', '/api/admin/modules/boats/rollback', { token: alice, body: { deploymentId: v1.deployment_id } });
    expect(rb.status).toBe(201);
    expect(rb.body).toMatchObject({ rollback_of: String(v1.deployment_id), module_slug: 'boats', targets: [{ application_id: 'backend', commit_sha: v1Commit }] });
    expect(rb.body.deployment_id).not.toBe(v2.deployment_id);
    expect(rb.body.message).toContain(`Rollback to deployment ${v1.deployment_id}`);
    const done = await finished(rb.body.deployment_id);
    expect(done).toMatchObject({ status: 'success', rollback_of: String(v1.deployment_id), targets: [{ commit_sha: v1Commit, status: 'success' }] });
    // The branch head is untouched (v2); the service runs v1's commit.
    expect(head('boats')).toBe(v2Commit);
    await until('v1 to be served again', async () => {
      const r = await rows(done.targets[0].url);
      return r.length > 0 && !('price' in r[0]!);
    });
    // The list shows the mark too, and earlier deployments carry none.
    const list = (await call(s.url, 'GET', '/api/admin/deployments?module=boats', { token: alice })).body.data as { deployment_id: string; rollback_of?: string }[];
    expect(list.find((d) => d.deployment_id === rb.body.deployment_id)?.rollback_of).toBe(String(v1.deployment_id));
    expect(list.find((d) => d.deployment_id === v2.deployment_id)).not.toHaveProperty('rollback_of');
  }, 300_000);

  it('refuses a deployment that did not succeed (409) and one of another module (422)', async () => {
    const db = s.ctx.database.db;
    const aliceId = (await db.selectFrom('users').select('id').where('email', '=', 'alice@example.com').executeTakeFirstOrThrow()).id;
    const now = new Date().toISOString();
    const commit = head('boats');
    const broken = await db.transaction().execute(async (trx) => {
      const c = await s.ctx.deployments.create(trx, { moduleSlug: 'boats', branch: 'module/boats', commit, ownerId: aliceId, targets: [{ applicationId: 'backend', commitSha: commit }] }, now);
      await s.ctx.deployments.failUnfinished(trx, Number(c.deploymentId), 'CI was unreachable', now);
      return c.deploymentId;
    });
    const failed = await call(s.url, 'POST', '/api/admin/modules/boats/rollback', { token: alice, body: { deploymentId: broken } });
    expect(failed.status).toBe(409);
    expect(failed.body).toMatchObject({ error: 'not_successful' });

    const other = await db.transaction().execute(async (trx) => {
      const c = await s.ctx.deployments.create(trx, { moduleSlug: 'rafts', branch: 'module/rafts', commit, ownerId: aliceId, targets: [{ applicationId: 'backend', commitSha: commit }] }, now);
      return c.deploymentId;
    });
    const wrong = await call(s.url, 'POST', '/api/admin/modules/boats/rollback', { token: admin, body: { deploymentId: other } });
    expect(wrong.status).toBe(422);
    expect(wrong.body).toMatchObject({ error: 'other_module' });
    expect(wrong.body.message).toContain("'rafts'");
  }, 60_000);
});
