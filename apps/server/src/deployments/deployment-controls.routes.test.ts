/**
 * Issue 12, item 6: Cancel. A running local-runner deployment ends `cancelled` and its step's
 * process group is ended; only its owner and admins can (anyone else: the 404 of a deployment
 * they cannot see), and a later report of the aborted run changes nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../test-support/http.ts';
import { ADMIN, DIALECTS, startTestServer, type TestServer } from '../test-support/server.ts';

const SLEEP = 'sleep 3141';
const sleeping = () => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').some((l) => l.trim() === SLEEP);

async function until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.each(DIALECTS)('cancelling a deployment on %s', (dialect) => {
  let s: TestServer;
  let alice: string;
  let mallory: string;
  let admin: string;
  const work = mkdtempSync(join(tmpdir(), 'slipway-cancel-'));

  beforeAll(async () => {
    s = await startTestServer(dialect, { SLIPWAY_DEMO: 'true' });
    await s.ctx.auth.addUser('alice@example.com', 'alice-password', 'member');
    await s.ctx.auth.addUser('mallory@example.com', 'mallory-password', 'member');
    alice = await s.ctx.auth.createToken('alice@example.com', 't');
    mallory = await s.ctx.auth.createToken('mallory@example.com', 't');
    admin = await s.ctx.auth.createToken(ADMIN.email, 't');
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Pushes a commit whose pipeline sleeps to `module/<slug>` of the hosted backend; its deployment once it builds. */
  async function slowRun(slug: string, n: number): Promise<{ id: number; sha: string }> {
    const db = s.ctx.database.db;
    const clone = join(work, `${slug}-${n}`);
    execFileSync('git', ['clone', '-q', '-b', `module/${slug}`, join(s.dataDir, 'repos', 'backend.git'), clone]);
    const file = join(clone, '.slipway', 'pipeline.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^build:\n(  .*\n)+/m, `build:\n  - name: Slow\n    run: ${SLEEP}\n`) + `\n# ${n}\n`);
    const git = (...a: string[]) => execFileSync('git', ['-C', clone, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...a], { encoding: 'utf8' }).trim();
    git('commit', '-qam', 'slow');
    git('push', '-q', 'origin', `module/${slug}`);
    const sha = git('rev-parse', 'HEAD');
    await s.ctx.runner!.pushed(db, s.ctx.applications.get('backend')!, `module/${slug}`, sha);
    const d = await until('the slow run to build', async () => {
      const row = await db.selectFrom('deployments').select(['id', 'status']).where('commit_sha', '=', sha).executeTakeFirst();
      return row?.status === 'building' && sleeping() && row;
    });
    return { id: d.id, sha };
  }

  const finished = (id: number) =>
    until(`deployment ${id} to finish`, async () => {
      const d = (await call(s.url, 'GET', `/api/admin/deployments/${id}`, { token: alice })).body;
      return ['success', 'failed', 'cancelled'].includes(d.status) && d;
    });

  it('Redeploy and Retry start a NEW deployment that the local runner takes to success; others cannot', async () => {
    const db = s.ctx.database.db;
    const r = await call(s.url, 'POST', '/api/admin/modules', { token: alice, body: { name: 'Slow', fields: [{ name: 'title', type: 'string' }], applications: ['backend'] } });
    expect([201, 202]).toContain(r.status);
    const first = await until('the first deployment', async () => {
      const d = await db.selectFrom('deployments').select(['id', 'status']).where('module_slug', '=', 'slow').executeTakeFirst();
      return d?.status === 'success' && d;
    });
    const commit = (await db.selectFrom('deployment_targets').select('commit_sha').where('deployment_id', '=', first.id).executeTakeFirstOrThrow()).commit_sha;

    expect((await call(s.url, 'POST', '/api/admin/modules/slow/redeploy', { token: mallory })).status).toBe(404);
    const redeploy = await call(s.url, 'POST', '/api/admin/modules/slow/redeploy', { token: alice });
    expect(redeploy.status).toBe(201);
    const again = Number(redeploy.body.deployment_id);
    expect(again).not.toBe(first.id);
    expect(await finished(again)).toMatchObject({ status: 'success', targets: [{ application_id: 'backend', commit_sha: commit, status: 'success' }] });
    expect((await db.selectFrom('deployments').select('status').where('id', '=', first.id).executeTakeFirstOrThrow()).status).toBe('success');

    // A deployment that failed for a reason outside the commit (CI down): Retry builds the same commit again.
    const aliceId = (await db.selectFrom('users').select('id').where('email', '=', 'alice@example.com').executeTakeFirstOrThrow()).id;
    const now = new Date().toISOString();
    const broken = await db.transaction().execute(async (trx) => {
      const c = await s.ctx.deployments.create(trx, { moduleSlug: 'slow', branch: 'module/slow', commit, ownerId: aliceId, targets: [{ applicationId: 'backend', commitSha: commit }] }, now);
      await s.ctx.deployments.failUnfinished(trx, Number(c.deploymentId), 'CI was unreachable', now);
      return Number(c.deploymentId);
    });
    expect((await call(s.url, 'POST', `/api/admin/deployments/${broken}/retry`, { token: mallory })).status).toBe(404);
    expect((await call(s.url, 'POST', `/api/admin/deployments/${again}/retry`, { token: alice })).status).toBe(409);
    const retry = await call(s.url, 'POST', `/api/admin/deployments/${broken}/retry`, { token: admin });
    expect(retry.status).toBe(201);
    expect(await finished(Number(retry.body.deployment_id))).toMatchObject({ status: 'success', owner_id: aliceId });
    expect((await call(s.url, 'GET', `/api/admin/deployments/${broken}`, { token: alice })).body.status).toBe('failed');
  }, 240_000);

  it('Cancel ends the run: cancelled, the step killed, for the owner or an admin only', async () => {

    const { id } = await slowRun('slow', 1);
    const denied = await call(s.url, 'POST', `/api/admin/deployments/${id}/cancel`, { token: mallory });
    expect(denied.status).toBe(404);
    expect(sleeping()).toBe(true);

    const ok = await call(s.url, 'POST', `/api/admin/deployments/${id}/cancel`, { token: alice });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('cancelled');
    expect(ok.body.targets.map((t: { status: string }) => t.status)).toEqual(['cancelled']);
    await until('the step to be killed', () => !sleeping(), 20_000);
    // The aborted run's own last report does not move it.
    await new Promise((res) => setTimeout(res, 1500));
    expect((await call(s.url, 'GET', `/api/admin/deployments/${id}`, { token: alice })).body.status).toBe('cancelled');
    const again = await call(s.url, 'POST', `/api/admin/deployments/${id}/cancel`, { token: alice });
    expect(again.status).toBe(409);

    // An admin may cancel a member's deployment.
    const second = await slowRun('slow', 2);
    const byAdmin = await call(s.url, 'POST', `/api/admin/deployments/${second.id}/cancel`, { token: admin });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.status).toBe('cancelled');
    await until('the second step to be killed', () => !sleeping(), 20_000);
  }, 240_000);
});
