import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CiReport } from '@slipway/contracts';
import { DeploymentsService } from '../deployments/deployments.service.ts';
import { DeploymentsStore } from '../deployments/deployments.store.ts';
import { JobQueue, PermanentJobError } from '../jobs/job-queue.ts';
import { openTestDatabase } from '../test-support/database.ts';
import { call } from '../test-support/http.ts';
import { DIALECTS, startTestServer } from '../test-support/server.ts';
import { DeliveriesStore, type Outcome } from '../webhooks/deliveries.store.ts';
import { toReportInput } from '../webhooks/parse-report.ts';
import { RetentionSweep } from './retention-sweep.ts';

const DAY = 24 * 3600 * 1000;
const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
const ADMIN = { id: 0, role: 'admin' as const };

describe.each(DIALECTS)('retention sweep on %s', (dialect) => {
  let h: Awaited<ReturnType<typeof openTestDatabase>>;
  const deliveries = new DeliveriesStore();
  let deployments: DeploymentsService;
  let store: DeploymentsStore;
  beforeAll(async () => {
    h = await openTestDatabase(dialect);
    store = new DeploymentsStore(h.traits);
    deployments = new DeploymentsService(store);
  });
  afterAll(() => h?.dispose());

  const delivery = (outcome: Outcome, receivedAt: string, note: string) =>
    deliveries.record(h.db, { received_at: receivedAt, signature_valid: outcome === 'rejected' ? 0 : 1, outcome, http_status: outcome === 'rejected' ? 401 : 200, error: note, idempotency_key: null, headers: '{}', body: null, deployment_id: null });
  const report = (r: Partial<CiReport> & Pick<CiReport, 'status'>, at: string) => h.db.transaction().execute((trx) => deployments.report(trx, toReportInput(r as CiReport, () => false), at));

  /** Jobs that ran (or were queued) at `at`, through the real queue with its clock there. */
  async function jobsAt(at: number, kinds: ('done' | 'failed' | 'queued')[]) {
    const q = new JobQueue(h.db, h.traits, { pollMs: 10, clock: () => at });
    q.register('ok', async () => 'fine');
    q.register('bad', async () => {
      throw new PermanentJobError('no');
    });
    const ids: number[] = [];
    for (const k of kinds) ids.push(await q.enqueue(h.db, { type: k === 'failed' ? 'bad' : 'ok', payload: null, runAt: k === 'queued' ? new Date(at + 365 * DAY) : undefined }));
    q.start();
    for (const [i, k] of kinds.entries()) if (k !== 'queued') expect((await q.waitFor(ids[i]!, 10_000)).status).toBe(k);
    await q.stop();
    return ids;
  }

  it('deletes old deliveries (rejected sooner, and beyond a row cap), finished jobs and old events of finished deployments, in batches', async () => {
    await delivery('accepted', ago(40 * DAY), 'old accepted');
    await delivery('duplicate', ago(31 * DAY), 'old duplicate');
    await delivery('accepted', ago(10 * DAY), 'kept accepted');
    await delivery('rejected', ago(10 * DAY), 'old rejected');
    // Five recent rejected deliveries, a cap of three: the two oldest go.
    for (let i = 5; i >= 1; i--) await delivery('rejected', ago(i * 60_000), `recent rejected ${i}`);

    // Done and failed 20 days ago go; one queued as long ago (due next year) stays.
    const [, , oldQueued] = await jobsAt(NOW - 20 * DAY, ['done', 'failed', 'queued']);
    const [recentDone] = await jobsAt(NOW - DAY, ['done']);

    // A deployment finished 100 days ago (three events), one left unfinished as long ago, one finished yesterday.
    const base = { deploymentId: 'old-1', applicationId: 'backend', branch: 'module/old' };
    await report({ ...base, status: 'running', message: 'Building...' }, ago(100 * DAY + 2000));
    await report({ ...base, status: 'running', stage: 'deploy', message: 'Deploying...' }, ago(100 * DAY + 1000));
    const finished = await report({ ...base, status: 'done', message: 'Deployed' }, ago(100 * DAY));
    const stuck = await report({ deploymentId: 'old-2', applicationId: 'backend', branch: 'module/stuck', status: 'running' }, ago(100 * DAY));
    await report({ deploymentId: 'old-2', applicationId: 'backend', branch: 'module/stuck', status: 'running', stage: 'deploy' }, ago(99 * DAY));
    const recentBase = { deploymentId: 'new-1', applicationId: 'backend', branch: 'module/new' };
    await report({ ...recentBase, status: 'running' }, ago(DAY + 1000));
    const recent = await report({ ...recentBase, status: 'done' }, ago(DAY));

    const sweep = new RetentionSweep({
      db: h.db,
      deliveries,
      deployments: store,
      jobs: new JobQueue(h.db, h.traits),
      settings: { deliveryMaxAgeMs: 30 * DAY, rejectedDeliveryMaxAgeMs: 7 * DAY, rejectedDeliveryMaxRows: 3, jobMaxAgeMs: 14 * DAY, deploymentEventMaxAgeMs: 90 * DAY, intervalMs: 3600_000 },
      log: pino({ level: 'silent' }),
      clock: () => NOW,
      batchSize: 1,
    });
    expect(await sweep.runOnce()).toEqual({ deliveries: 2, rejectedDeliveries: 3, jobs: 2, deploymentEvents: 2 });

    const left = await h.db.selectFrom('webhook_deliveries').select('error').orderBy('id').execute();
    expect(left.map((r) => r.error)).toEqual(['kept accepted', 'recent rejected 3', 'recent rejected 2', 'recent rejected 1']);
    const jobs = await h.db.selectFrom('jobs').select('id').orderBy('id').execute();
    expect(jobs.map((j) => j.id)).toEqual([oldQueued, recentDone]);

    // The finished deployment keeps its row and its last event: its status still reads whole.
    const status = await deployments.detail(h.db, ADMIN, finished.deploymentId);
    expect(status).toMatchObject({ status: 'success', progress: 100, message: "Module 'old' deployed successfully! 🎉" });
    expect(status!.events.map((e) => e.sequence)).toEqual([3]);
    expect((await deployments.detail(h.db, ADMIN, stuck.deploymentId))!.events).toHaveLength(2);
    expect((await deployments.detail(h.db, ADMIN, recent.deploymentId))!.events).toHaveLength(2);
    expect(Number((await h.db.selectFrom('deployments').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)).toBe(3);

    // A second pass finds nothing more.
    expect(await sweep.runOnce()).toEqual({ deliveries: 0, rejectedDeliveries: 0, jobs: 0, deploymentEvents: 0 });
  });

  it('starts with a pass, repeats on its interval, and stops', async () => {
    await delivery('rejected', ago(8 * DAY), 'expired');
    let passes = 0;
    const sweep = new RetentionSweep({
      db: h.db,
      deliveries,
      deployments: store,
      jobs: new JobQueue(h.db, h.traits),
      settings: { deliveryMaxAgeMs: 30 * DAY, rejectedDeliveryMaxAgeMs: 7 * DAY, rejectedDeliveryMaxRows: 100, jobMaxAgeMs: 14 * DAY, deploymentEventMaxAgeMs: 90 * DAY, intervalMs: 50 },
      log: pino({ level: 'silent' }),
      clock: () => (passes++, NOW),
    });
    sweep.start();
    await new Promise((r) => setTimeout(r, 300));
    await sweep.stop();
    const after = passes;
    expect(after).toBeGreaterThanOrEqual(3);
    expect(await h.db.selectFrom('webhook_deliveries').select('id').where('error', '=', 'expired').execute()).toEqual([]);
    await new Promise((r) => setTimeout(r, 150));
    expect(passes).toBe(after);
  });
});

describe.each(DIALECTS)('the cap on rejected deliveries holds between sweeps, on %s', (dialect) => {
  it('trims them to REJECTED_DELIVERY_MAX_ROWS every 100 new ones, however many addresses send them', async () => {
    // The per-address limit off: this stands for many addresses, each under its limit.
    const s = await startTestServer(dialect, { REJECTED_DELIVERY_MAX_ROWS: '5', WEBHOOK_REJECT_LIMIT_PER_MINUTE: '0' });
    try {
      const rejected = async () =>
        Number((await s.ctx.database.db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<string>().as('n')).where('outcome', '=', 'rejected').executeTakeFirstOrThrow()).n);
      let most = 0;
      for (let i = 0; i < 250; i++) {
        expect((await call(s.url, 'POST', '/api/webhooks/dokploy/deployment', { body: `{"n":${i}}` })).status).toBe(401);
        if (i % 10 === 9) most = Math.max(most, await rejected());
      }
      await expect.poll(rejected, { timeout: 5_000 }).toBeLessThanOrEqual(5 + 50);
      // Never more than the cap plus one trim's worth (and those arriving while it ran).
      expect(most).toBeLessThanOrEqual(5 + 100 + 10);
    } finally {
      await s.close();
    }
  });
});
