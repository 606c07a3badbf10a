/**
 * Follow-ups of an accepted report (Dokploy's confirmation job) are written in the delivery's own
 * transaction (issue 11, item 1): an acknowledged delivery has its follow-up queued, and a
 * follow-up that cannot be written leaves nothing of the delivery behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../db/database.ts';
import { JobQueue } from '../jobs/job-queue.ts';
import { openTestDatabase } from '../test-support/database.ts';
import { sign } from '../test-support/http.ts';
import { DIALECTS, TEST_SECRET } from '../test-support/server.ts';
import { WebhookIntake, type AcceptedReport } from './webhook-intake.service.ts';
import { testIntake } from '../test-support/intake.ts';

describe.each(DIALECTS)('follow-ups of an accepted report, on %s', (dialect) => {
  let h: Awaited<ReturnType<typeof openTestDatabase>>;
  let intake: WebhookIntake;
  let failNext = false;

  beforeAll(async () => {
    h = await openTestDatabase(dialect);
    const jobs = new JobQueue(h.db, h.traits);
    const followUp = async (db: Db, a: AcceptedReport) => {
      await jobs.enqueue(db, { type: 'test.confirm', payload: { deploymentId: a.deploymentId }, key: `confirm:${a.report.deploymentId}:${a.report.status}` });
      if (failNext) throw new Error('the database went away mid-transaction');
    };
    intake = testIntake(h, { awaitConfirmation: () => true, followUps: [followUp] });
  });
  afterAll(() => h?.dispose());

  const send = (report: Record<string, unknown>) => {
    const body = JSON.stringify(report);
    return intake.receive(Buffer.from(body), { 'x-webhook-signature': sign(body, TEST_SECRET) });
  };
  const jobsOf = (key: string) => h.db.selectFrom('jobs').select(['payload']).where('dedupe_key', '=', key).execute();

  it('an acknowledged report has its follow-up written with it', async () => {
    const a = await send({ deploymentId: 'gh-f1', applicationId: 'backend', branch: 'module/f', status: 'done' });
    expect(a.body).toMatchObject({ outcome: 'accepted', status: 'deploying' });
    expect(await jobsOf('confirm:gh-f1:done')).toEqual([{ payload: JSON.stringify({ deploymentId: Number(a.body.deployment_id) }) }]);
  });

  it('a follow-up that cannot be written fails the delivery, and nothing of it is kept', async () => {
    failNext = true;
    await expect(send({ deploymentId: 'gh-f2', applicationId: 'backend', branch: 'module/g', status: 'done' })).rejects.toThrow(/went away/);
    failNext = false;
    expect(await jobsOf('confirm:gh-f2:done')).toEqual([]);
    expect(await h.db.selectFrom('deployments').select('id').where('branch_name', '=', 'module/g').execute()).toEqual([]);
    // CI retries the delivery: now it is taken, with its follow-up.
    const retried = await send({ deploymentId: 'gh-f2', applicationId: 'backend', branch: 'module/g', status: 'done' });
    expect(retried.body.outcome).toBe('accepted');
    expect(await jobsOf('confirm:gh-f2:done')).toHaveLength(1);
  });
});
