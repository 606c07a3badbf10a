import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/database.ts';
import { eventually } from '../test-support/dokploy-stub.ts';
import { DIALECTS } from '../test-support/server.ts';
import { ClaimLostError, JobQueue, type JobQueueOptions } from './job-queue.ts';

/** A promise the test opens when it wants. */
function gate<T = void>() {
  let open!: (v: T) => void;
  const promise = new Promise<T>((r) => (open = r));
  return { promise, open };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Several queues (owners) on one database, as several instances share one: each claims, renews and
// completes only its own claims.
describe.each(DIALECTS)('job claims with several workers on %s', (dialect) => {
  let h: Awaited<ReturnType<typeof openTestDatabase>>;
  const queues: JobQueue[] = [];
  const queue = (o: JobQueueOptions = {}) => {
    const q = new JobQueue(h.db, h.traits, { pollMs: 20, ...o });
    queues.push(q);
    return q;
  };
  beforeAll(async () => {
    h = await openTestDatabase(dialect);
  });
  afterAll(async () => {
    await Promise.all(queues.map((q) => q.stop()));
    await h?.dispose();
  });

  it('runs every job once, whichever of two workers claims it', async () => {
    const ranBy = new Map<number, string[]>();
    const [a, b] = [queue({ owner: 'a' }), queue({ owner: 'b' })];
    for (const q of [a, b]) {
      q.register('count', async (_p, ctx) => {
        ranBy.set(ctx.id, [...(ranBy.get(ctx.id) ?? []), q.owner]);
        await sleep(5);
      }, { concurrency: 3 });
    }
    const ids = await Promise.all(Array.from({ length: 30 }, (_, n) => a.enqueue(h.db, { type: 'count', payload: n })));
    a.start();
    b.start();
    const jobs = await Promise.all(ids.map((id) => a.waitFor(id, 20_000)));
    await Promise.all([a.stop(), b.stop()]);
    expect(jobs.map((j) => j.status)).toEqual(ids.map(() => 'done'));
    expect(ids.filter((id) => ranBy.get(id)?.length !== 1)).toEqual([]);
    // Each done job names the claim that completed it.
    expect(jobs.every((j) => (j.owner === 'a' || j.owner === 'b') && j.attempts === 1)).toBe(true);
  });

  it('a claim that was taken over cannot complete the job: its result is discarded and reported', async () => {
    const lost: unknown[] = [];
    // A: a short lease it does not renew in time (heartbeat far apart), as a worker stalled too long.
    const a = queue({ owner: 'stalled', leaseMs: 150, heartbeatMs: 60_000, onError: (err) => lost.push(err) });
    const b = queue({ owner: 'rescuer' });
    const aRuns = gate<AbortSignal>();
    const aGoes = gate<string>();
    const bRuns = gate();
    const bGoes = gate<string>();
    a.register('slow', async (_p, ctx) => (aRuns.open(ctx.signal), aGoes.promise));
    b.register('slow', async () => (bRuns.open(), bGoes.promise));
    const id = await a.enqueue(h.db, { type: 'slow', payload: null });
    a.start();
    const aSignal = await aRuns.promise;
    await sleep(200); // A's lease has run out
    b.start();
    await bRuns.promise;
    expect(await a.get(id)).toMatchObject({ status: 'running', owner: 'rescuer', attempts: 2 });

    // A finishes first: nothing it says reaches the job.
    aGoes.open('from the stalled worker');
    await eventually(async () => lost.length > 0, 'the lost claim to be reported');
    expect(lost[0]).toBeInstanceOf(ClaimLostError);
    expect(aSignal.aborted).toBe(true);
    expect(await a.get(id)).toMatchObject({ status: 'running', owner: 'rescuer', attempts: 2, result: null });

    bGoes.open('from the rescuer');
    expect(await b.waitFor(id, 10_000)).toMatchObject({ status: 'done', owner: 'rescuer', attempts: 2, result: JSON.stringify('from the rescuer') });
    await Promise.all([a.stop(), b.stop()]);
  });

  it('the heartbeat keeps a job longer than its lease with the worker running it', async () => {
    const runs: string[] = [];
    const workers = [queue({ owner: 'one', leaseMs: 600, heartbeatMs: 100 }), queue({ owner: 'two', leaseMs: 600, heartbeatMs: 100 })];
    for (const q of workers) {
      // The handler never calls ctx.heartbeat(): the queue renews on its own.
      q.register('long', async () => {
        runs.push(q.owner);
        await sleep(2_000); // over three leases
        return 'built';
      });
      q.start();
    }
    const id = await workers[0]!.enqueue(h.db, { type: 'long', payload: null });
    const job = await workers[0]!.waitFor(id, 20_000);
    await Promise.all(workers.map((q) => q.stop()));
    expect(runs).toHaveLength(1);
    expect(job).toMatchObject({ status: 'done', attempts: 1, owner: runs[0] });
  });

  it('a job whose worker process was killed is taken by another within the lease', { timeout: 60_000 }, async () => {
    const leaseMs = 2_000;
    const id = await new JobQueue(h.db, h.traits).enqueue(h.db, { type: 'hold', payload: null });
    const holder: ChildProcess = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'test-fixtures/job-holder.ts'), JSON.stringify(h.database), String(leaseMs)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let out = '';
      holder.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await eventually(async () => out.includes(`claimed ${id} attempt 1`), 'the worker process to claim the job', 30_000);

      const rescuer = queue({ owner: 'rescuer', leaseMs });
      let rescued = 0;
      rescuer.register('hold', async () => void rescued++);
      rescuer.start();
      // Alive, the holder renews its claim: two leases later it still owns the job.
      await sleep(2 * leaseMs);
      expect(await rescuer.get(id)).toMatchObject({ status: 'running', owner: `holder-${holder.pid}`, attempts: 1 });
      expect(rescued).toBe(0);

      const killedAt = Date.now();
      holder.kill('SIGKILL');
      await once(holder, 'exit');
      const job = await rescuer.waitFor(id, 30_000);
      const tookMs = Date.now() - killedAt;
      expect(job).toMatchObject({ status: 'done', owner: 'rescuer', attempts: 2 });
      expect(rescued).toBe(1);
      // Within one lease (plus polling and a loaded machine's slack), not the old fixed 120 s.
      expect(tookMs).toBeLessThan(leaseMs + 2_000);
      await rescuer.stop();
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('concurrent enqueues of one key create one job, and none throws', async () => {
    const [a, b] = [queue(), queue()];
    const key = `once-${dialect}`;
    const ids = await Promise.all(
      Array.from({ length: 20 }, (_, n) =>
        n % 2 ? a.enqueue(h.db, { type: 'noop', payload: n, key }) : h.db.transaction().execute((trx) => b.enqueue(trx, { type: 'noop', payload: n, key })),
      ),
    );
    expect(new Set(ids).size).toBe(1);
    const rows = await h.db.selectFrom('jobs').select(['id', 'payload']).where('dedupe_key', '=', key).execute();
    expect(rows).toHaveLength(1);
  });

  it('kinds do not wait on each other, and each runs at most its concurrency at once', async () => {
    const q = queue({ owner: 'kinds' });
    const publishGoes = gate();
    let publishing = 0;
    let mostPublishing = 0;
    q.register('publish', async () => {
      mostPublishing = Math.max(mostPublishing, ++publishing);
      await publishGoes.promise;
      publishing--;
    }, { concurrency: 2 });
    q.register('confirm', async (n: number) => n * 2, { concurrency: 8 });
    const publishes = await Promise.all([1, 2, 3].map((n) => q.enqueue(h.db, { type: 'publish', payload: n })));
    q.start();
    await eventually(async () => publishing === 2, 'two publishes to run');
    // While both publish slots are held by slow pushes, every confirmation still runs.
    const confirms = await Promise.all(Array.from({ length: 10 }, (_, n) => q.enqueue(h.db, { type: 'confirm', payload: n })));
    const confirmed = await Promise.all(confirms.map((id) => q.waitFor(id, 10_000)));
    expect(confirmed.map((j) => j.status)).toEqual(confirms.map(() => 'done'));
    // The third publish has not started: no slot was free for it.
    const waiting = await Promise.all(publishes.map((id) => q.get(id)));
    expect(waiting.filter((j) => j?.status === 'queued' && j.attempts === 0)).toHaveLength(1);
    publishGoes.open();
    const published = await Promise.all(publishes.map((id) => q.waitFor(id, 10_000)));
    await q.stop();
    expect(published.map((j) => j.status)).toEqual(['done', 'done', 'done']);
    expect(mostPublishing).toBe(2);
  });

  it('a job whose worker died during its last attempt is failed, not run again', async () => {
    const q = queue();
    let ran = false;
    q.register('crashy', async () => void (ran = true));
    const id = await q.enqueue(h.db, { type: 'crashy', payload: null, maxAttempts: 2 });
    // Its second and last attempt was claimed by a worker that then died (lease over).
    await h.db.updateTable('jobs').set({ status: 'running', attempts: 2, owner: 'dead', locked_until: new Date(Date.now() - 1000).toISOString() }).where('id', '=', id).execute();
    q.start();
    const job = await q.waitFor(id, 10_000);
    await q.stop();
    expect(ran).toBe(false);
    expect(job.status).toBe('failed');
    expect(JSON.parse(job.last_error!)).toMatchObject({ code: 'worker_lost' });
  });
});
