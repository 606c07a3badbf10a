import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../test-support/server.ts';
import { openTestDatabase } from '../test-support/database.ts';
import { JobQueue, PermanentJobError, jobError } from './job-queue.ts';

describe.each(DIALECTS)('durable jobs on %s', (dialect) => {
  let h: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    h = await openTestDatabase(dialect);
  });
  afterAll(() => h?.dispose());

  it('runs a queued job once, keeps its result, and queues a keyed job only once', async () => {
    const q = new JobQueue(h.db, h.traits, { pollMs: 20 });
    const seen: unknown[] = [];
    q.register('echo', async (p) => (seen.push(p), { echoed: p }));
    const id = await q.enqueue(h.db, { type: 'echo', payload: { n: 1 }, key: 'echo-1' });
    expect(await q.enqueue(h.db, { type: 'echo', payload: { n: 2 }, key: 'echo-1' })).toBe(id);
    q.start();
    const job = await q.waitFor(id, 10_000);
    await q.stop();
    expect(job).toMatchObject({ status: 'done', attempts: 1, result: JSON.stringify({ echoed: { n: 1 } }) });
    expect(seen).toEqual([{ n: 1 }]);
  });

  it('retries a failing job with backoff, and stops at a permanent error', async () => {
    const q = new JobQueue(h.db, h.traits, { pollMs: 20, backoffMs: () => 10 });
    let calls = 0;
    q.register('flaky', async () => {
      calls++;
      if (calls < 3) throw new Error(`try ${calls} failed`);
      return 'ok';
    });
    q.register('doomed', async () => {
      throw new PermanentJobError('push rejected by a hook', 'push_rejected');
    });
    const flaky = await q.enqueue(h.db, { type: 'flaky', payload: null });
    const doomed = await q.enqueue(h.db, { type: 'doomed', payload: null });
    q.start();
    const [a, b] = await Promise.all([q.waitFor(flaky, 10_000), q.waitFor(doomed, 10_000)]);
    await q.stop();
    expect(a).toMatchObject({ status: 'done', attempts: 3 });
    expect(b).toMatchObject({ status: 'failed', attempts: 1 });
    expect(jobError(b)).toEqual({ message: 'push rejected by a hook', code: 'push_rejected' });
  });

  it('takes again a job whose worker died (lease expired), as after a crash', async () => {
    const id = await new JobQueue(h.db, h.traits).enqueue(h.db, { type: 'resume', payload: { step: 'publish' } });
    // A worker that claimed it, then died: status running, lease already over.
    await h.db.updateTable('jobs').set({ status: 'running', attempts: 1, locked_until: new Date(Date.now() - 1000).toISOString() }).where('id', '=', id).execute();
    const q = new JobQueue(h.db, h.traits, { pollMs: 20 });
    q.register('resume', async (p) => p);
    q.start();
    const job = await q.waitFor(id, 10_000);
    await q.stop();
    expect(job).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('does not take a running job whose lease is still valid', async () => {
    const id = await new JobQueue(h.db, h.traits).enqueue(h.db, { type: 'busy', payload: null });
    await h.db.updateTable('jobs').set({ status: 'running', attempts: 1, locked_until: new Date(Date.now() + 60_000).toISOString() }).where('id', '=', id).execute();
    const q = new JobQueue(h.db, h.traits, { pollMs: 20 });
    let ran = false;
    q.register('busy', async () => void (ran = true));
    q.start();
    const job = await q.waitFor(id, 300);
    await q.stop();
    expect(ran).toBe(false);
    expect(job.status).toBe('running');
  });
});
