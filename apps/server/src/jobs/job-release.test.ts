import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/database.ts';
import { DIALECTS } from '../test-support/server.ts';
import { ClaimLostError, JobQueue } from './job-queue.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A shutdown's stop({ graceMs }): running jobs get the grace, the rest go back to the queue at once.
describe.each(DIALECTS)('releasing claimed jobs at shutdown on %s', (dialect) => {
  let h: Awaited<ReturnType<typeof openTestDatabase>>;
  const row = (id: number) => h.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  beforeAll(async () => {
    h = await openTestDatabase(dialect);
  });
  afterAll(async () => h?.dispose());

  it('lets a job that ends within the grace finish, and releases one that does not: queued, due now, no owner, attempt given back', async () => {
    const a = new JobQueue(h.db, h.traits, { pollMs: 20, owner: 'a' });
    let aborted: unknown;
    a.register('quick', async () => {
      await sleep(50);
      return 'done in time';
    });
    a.register('stuck', (_p, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject((aborted = ctx.signal.reason)))));
    const quick = await a.enqueue(h.db, { type: 'quick', payload: null });
    const stuck = await a.enqueue(h.db, { type: 'stuck', payload: null });
    a.start();
    for (let i = 0; i < 200 && ((await row(quick)).status !== 'running' || (await row(stuck)).status !== 'running'); i++) await sleep(10);
    expect((await row(stuck)).status).toBe('running');

    const started = Date.now();
    const released = await a.stop({ graceMs: 300 });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(released).toEqual([stuck]);
    expect(await row(quick)).toMatchObject({ status: 'done', result: JSON.stringify('done in time') });
    const back = await row(stuck);
    expect(back).toMatchObject({ status: 'queued', owner: null, attempts: 0, locked_until: null });
    expect(Date.parse(back.run_at)).toBeLessThanOrEqual(Date.now());
    await sleep(10);
    expect(aborted).toBeInstanceOf(ClaimLostError);

    // Another instance takes it on its next poll, as attempt 1 (not after a lease), and finishes it.
    const b = new JobQueue(h.db, h.traits, { pollMs: 20, owner: 'b' });
    b.register('stuck', async (_p, ctx) => `attempt ${ctx.attempt} on b`);
    b.start();
    const done = await b.waitFor(stuck, 5_000);
    await b.stop();
    expect(done).toMatchObject({ status: 'done', owner: 'b', attempts: 1, result: JSON.stringify('attempt 1 on b') });
  });

  it('releases nothing when the queue is idle, and stop() without a grace still waits for the handlers', async () => {
    const q = new JobQueue(h.db, h.traits, { pollMs: 20, owner: 'c' });
    q.register('slow', async () => {
      await sleep(200);
      return 'finished';
    });
    const id = await q.enqueue(h.db, { type: 'slow', payload: null });
    q.start();
    for (let i = 0; i < 200 && (await row(id)).status !== 'running'; i++) await sleep(10);
    expect(await q.stop()).toEqual([]);
    expect(await row(id)).toMatchObject({ status: 'done' });
    expect(await q.stop({ graceMs: 10 })).toEqual([]);
  });
});
