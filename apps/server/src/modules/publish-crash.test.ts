/**
 * Issue 11, item 1: a publish that dies after one application's push. The process is "killed" in
 * process: the publisher throws right after the backend's branch was pushed, before anything was
 * recorded, and the job runs again (as after a lease). The run after the crash finds the backend
 * branch already at its commit — a push that moves nothing — and must still queue its build.
 */
import { successMessage } from '@slipway/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentChange } from '../deployments/broadcaster.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { RUNNER_JOB } from '../runner/index.ts';
import { ADMIN, DIALECTS, startTestServer, type TestServer } from '../test-support/server.ts';
import { modulesWithPublisher } from '../test-support/modules.ts';
import type { BranchPublisher } from './branch-publisher.ts';
import { GitBranchPublisher } from './git-branch-publisher.ts';

const crashy = {
  name: 'Crashy',
  fields: [{ name: 'title', type: 'string', required: true }],
  applications: ['backend', 'frontend'],
};

describe.each(DIALECTS)('a publish killed between two pushes, on %s', (dialect) => {
  let s: TestServer;
  let jobs: JobQueue;
  const changes: DeploymentChange[] = [];
  /** What the database held when the first push began. */
  let beforeFirstPush: { status: string; targets: [string, string, string | null][] } | undefined;
  let crashes = 0;

  beforeAll(async () => {
    s = await startTestServer(dialect, { SLIPWAY_DEMO: 'true' });
    s.ctx.broadcaster.add({ publish: (c) => void changes.push(c) });
    // The server's own publish worker steps aside: this one's publisher dies once, mid-publish.
    await s.ctx.jobs.stop();
    const { db } = s.ctx.database;
    const real = new GitBranchPublisher({ dataDir: s.dataDir, env: {} });
    const publisher: BranchPublisher = {
      deleteBranch: (app, branch) => real.deleteBranch(app, branch),
      async publish(app, req) {
        if (!beforeFirstPush) {
          const d = await db.selectFrom('deployments').selectAll().where('module_slug', '=', 'crashy').executeTakeFirst();
          const targets = d ? await db.selectFrom('deployment_targets').select(['application_id', 'status', 'commit_sha']).where('deployment_id', '=', d.id).orderBy('id').execute() : [];
          beforeFirstPush = { status: d?.status ?? 'none', targets: targets.map((t) => [t.application_id, t.status, t.commit_sha]) };
        }
        const r = await real.publish(app, req);
        if (crashes === 0) {
          crashes++;
          throw new Error('killed right after the backend push');
        }
        return r;
      },
    };
    jobs = modulesWithPublisher(s, publisher);
  });

  afterAll(async () => {
    await jobs?.stop();
    await s?.close();
  });

  it('creates the deployment first, builds both applications once, and ends in its true state', { timeout: 180_000 }, async () => {
    expect(s.ctx.runner).toBeDefined();
    const db = s.ctx.database.db;
    const admin = await db.selectFrom('users').select('id').where('email', '=', ADMIN.email).executeTakeFirstOrThrow();
    // Created through the server's own service (its worker is stopped: the crashing one publishes).
    const created = await s.ctx.modules.create({ id: admin.id, role: 'admin' }, crashy);
    // Answered once stored, before the (crashing) publish pushed anything: the deployment, pending.
    expect(created.deployment?.status).toBe('pending');
    const end = Date.now() + 150_000;
    let d;
    for (;;) {
      d = await db.selectFrom('deployments').selectAll().where('module_slug', '=', 'crashy').executeTakeFirst();
      if (d && ['success', 'failed', 'cancelled'].includes(d.status)) break;
      if (Date.now() > end) throw new Error(`deployment not finished: ${JSON.stringify(d)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const deploymentId = d.id;
    expect(created.deployment?.deployment_id).toBe(String(deploymentId));
    expect(crashes).toBe(1);

    // Before anything was pushed: pending, a target per application, no commit yet.
    expect(beforeFirstPush).toEqual({ status: 'pending', targets: [['backend', 'pending', null], ['frontend', 'pending', null]] });

    // One deployment, both targets built once each at the commits the publish pushed.
    const all = await db.selectFrom('deployments').select('id').where('module_slug', '=', 'crashy').execute();
    expect(all).toHaveLength(1);
    const targets = await db.selectFrom('deployment_targets').selectAll().where('deployment_id', '=', deploymentId).orderBy('id').execute();
    const builds = await db.selectFrom('jobs').select(['dedupe_key', 'status']).where('type', '=', RUNNER_JOB).where('dedupe_key', 'like', '%module/crashy%').orderBy('dedupe_key').execute();
    expect(builds.map((b) => b.dedupe_key)).toEqual(targets.map((t) => `runner:${t.application_id}:module/crashy:${t.commit_sha}`));
    expect(builds.every((b) => b.status === 'done')).toBe(true);

    // The true terminal state: the demo pipelines pass.
    expect(d.status).toBe('success');
    expect(targets.map((t) => [t.application_id, t.status])).toEqual([
      ['backend', 'success'],
      ['frontend', 'success'],
    ]);
    expect(d.message).toBe(successMessage('crashy'));
    // Never the success line while any target still ran.
    const mine = changes.filter((c) => c.payload.module_slug === 'crashy');
    for (const c of mine) if (c.payload.status !== 'success') expect(c.payload.message).not.toBe(successMessage('crashy'));
  });
});
