/**
 * Issue 11, item 3: correlation with several instances, and CI re-runs. Each "instance" is a
 * webhook intake with its own connection pool on the same database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../db/database.ts';
import { openTestDatabase } from '../test-support/database.ts';
import { sign } from '../test-support/http.ts';
import { createPgDatabase, DIALECTS, TEST_SECRET } from '../test-support/server.ts';
import { WebhookIntake } from '../webhooks/webhook-intake.service.ts';
import { DeploymentsService } from './deployments.service.ts';
import { DeploymentsStore } from './deployments.store.ts';
import { testIntake } from '../test-support/intake.ts';

const intakeOn = (h: Pick<DatabaseHandle, 'db' | 'traits'>) => testIntake(h);

function send(intake: WebhookIntake, report: Record<string, unknown>) {
  const body = JSON.stringify(report);
  return intake.receive(Buffer.from(body), { 'x-webhook-signature': sign(body, TEST_SECRET) });
}

describe.each(DIALECTS)('correlation on %s', (dialect) => {
  let h: DatabaseHandle & { dispose(): Promise<void> };
  let second: DatabaseHandle | undefined;
  let instances: WebhookIntake[];

  beforeAll(async () => {
    if (dialect === 'postgres') {
      // Two pools on one PostgreSQL, as two instances.
      const pg = await createPgDatabase();
      const first = openDatabase({ database: { kind: 'postgres', url: pg.url } });
      await first.migrate();
      h = { ...first, dispose: async () => (await first.close(), await pg.drop()) };
      second = openDatabase({ database: { kind: 'postgres', url: pg.url } });
    } else {
      // SQLite has one writer: one instance, whose concurrent deliveries share transactions.
      h = await openTestDatabase(dialect);
    }
    instances = [intakeOn(h), intakeOn(second ?? h)];
  });
  afterAll(async () => {
    await second?.close();
    await h?.dispose();
  });

  it("two instances that receive a run's first report at once create one deployment", async () => {
    for (let run = 0; run < 25; run++) {
      const report = { deploymentId: `gh-race-${run}`, applicationId: 'backend', branch: 'module/race', commit: `c${run}`.padEnd(40, '0'), status: 'running' };
      const answers = await Promise.all(instances.map((intake, i) => send(intake, { ...report, message: `seen by instance ${i}` })));
      expect(answers.map((a) => a.status)).toEqual([200, 200]);
      const ids = new Set(answers.map((a) => a.body.deployment_id));
      expect(ids.size).toBe(1);
    }
    const targets = await h.db.selectFrom('deployment_targets').select(['deployment_id', 'external_id']).where('external_id', 'like', 'gh-race-%').execute();
    expect(targets).toHaveLength(25);
    const deployments = await h.db.selectFrom('deployments').select('id').where('branch_name', '=', 'module/race').execute();
    expect(deployments).toHaveLength(25);
  });

  it('the database refuses a second target for one run of one application', async () => {
    await send(instances[0]!, { deploymentId: 'gh-unique', applicationId: 'backend', branch: 'module/unique', status: 'running' });
    const other = await send(instances[0]!, { deploymentId: 'gh-unique-2', applicationId: 'frontend', branch: 'module/unique', status: 'running' });
    const existing = await h.db.selectFrom('deployment_targets').selectAll().where('external_id', '=', 'gh-unique').executeTakeFirstOrThrow();
    const { id: _id, ...copy } = existing;
    // In another deployment: only the (external id, application) pair repeats.
    await expect(h.db.insertInto('deployment_targets').values({ ...copy, deployment_id: Number(other.body.deployment_id) }).execute()).rejects.toThrow();
    await h.db.insertInto('deployment_targets').values({ ...copy, deployment_id: Number(other.body.deployment_id), application_id: 'worker' }).execute();
  });

  it("a run of a commit goes to that commit's target, not to a newer publish's target that has no commit yet", async () => {
    const service = new DeploymentsService(new DeploymentsStore(h.traits));
    const now = new Date().toISOString();
    const commit = 'a'.repeat(40);
    const older = await service.create(h.db, { moduleSlug: 'order', branch: 'module/order', commit, ownerId: null, targets: [{ applicationId: 'backend', commitSha: commit }] }, now);
    // The next publish of the module: created before its push, its target has no commit yet.
    await service.create(h.db, { moduleSlug: 'order', branch: 'module/order', commit: null, ownerId: null, publishKey: 'publish:order:v2', targets: [{ applicationId: 'backend', commitSha: null }] }, now);
    const r = await send(instances[0]!, { deploymentId: 'gh-older', applicationId: 'backend', branch: 'module/order', commit, status: 'running' });
    expect(r.body).toMatchObject({ outcome: 'accepted', deployment_id: older.deploymentId });
  });

  // PostgreSQL only: SQLite has one writer, so no other transaction can be open meanwhile.
  it.runIf(dialect === 'postgres')('a report whose run another instance is creating at that moment is applied, not taken for a duplicate', async () => {
    const service = new DeploymentsService(new DeploymentsStore(h.traits));
    const commit = 'b'.repeat(40);
    const now = new Date().toISOString();
    // A publish's open target of this commit, which the report would claim...
    await service.create(h.db, { moduleSlug: 'claim', branch: 'module/claim', commit, ownerId: null, targets: [{ applicationId: 'backend', commitSha: commit }] }, now);
    let sent: Promise<Awaited<ReturnType<typeof send>>> | undefined;
    // ...while the other instance, in a transaction still open, creates this run's target.
    const other = await second!.db.transaction().execute(async (trx) => {
      const r = await new DeploymentsService(new DeploymentsStore(h.traits)).report(trx, { applicationId: 'backend', externalId: 'gh-claim', branch: 'module/elsewhere', status: 'building', logs: [] }, now);
      sent = send(instances[0]!, { deploymentId: 'gh-claim', applicationId: 'backend', branch: 'module/claim', commit, status: 'running', message: 'first' });
      await new Promise((r) => setTimeout(r, 500)); // the report now waits on this transaction's row
      return r.deploymentId;
    });
    const answer = await sent!;
    expect(answer.body).toMatchObject({ outcome: 'accepted', deployment_id: String(other) });
    const targets = await h.db.selectFrom('deployment_targets').select(['deployment_id']).where('external_id', '=', 'gh-claim').execute();
    expect(targets).toEqual([{ deployment_id: other }]);
  });

  it('a re-run (a later attempt of the same run) moves a failed target on, keeping both attempts in the history', async () => {
    const run = { deploymentId: 'gh-rerun', applicationId: 'backend', branch: 'module/rerun', commit: 'f'.repeat(40) };
    const first = await send(instances[0]!, { ...run, status: 'running', runAttempt: 1, message: 'attempt 1 building' });
    const id = Number(first.body.deployment_id);
    expect((await send(instances[1]!, { ...run, status: 'error', runAttempt: 1, message: 'attempt 1 failed' })).body).toMatchObject({ outcome: 'accepted', status: 'failed' });
    // Without an attempt, a report after the end changes nothing (terminal states absorb).
    expect((await send(instances[0]!, { ...run, status: 'running', message: 'late' })).body.outcome).toBe('ignored');

    expect((await send(instances[0]!, { ...run, status: 'running', runAttempt: 2, message: 'attempt 2 building' })).body).toMatchObject({ outcome: 'accepted', status: 'building' });
    // A late report of the earlier attempt no longer counts.
    expect((await send(instances[1]!, { ...run, status: 'error', runAttempt: 1, message: 'attempt 1 failed again' })).body.outcome).toBe('ignored');
    const done = await send(instances[1]!, { ...run, status: 'done', runAttempt: 2, message: 'attempt 2 done' });
    expect(done.body).toMatchObject({ outcome: 'accepted', deployment_id: String(id), status: 'success', progress: 100 });

    const d = await h.db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(d).toMatchObject({ status: 'success' });
    expect(d.finished_at).not.toBeNull();
    const target = await h.db.selectFrom('deployment_targets').selectAll().where('deployment_id', '=', id).executeTakeFirstOrThrow();
    expect(target).toMatchObject({ status: 'success', run_attempt: 2, external_id: 'gh-rerun' });
    const events = await h.db.selectFrom('deployment_events').select(['sequence', 'status', 'message']).where('deployment_id', '=', id).orderBy('sequence').execute();
    expect(events.map((e) => [e.status, e.message])).toEqual([
      ['building', 'attempt 1 building'],
      ['failed', 'attempt 1 failed'],
      ['building', 'attempt 2 building'],
      ['success', 'attempt 2 done'],
    ]);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
  });
});
