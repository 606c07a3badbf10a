import type { Db } from '../db/database.ts';

/** One kind of job's unfinished work, as /metrics reports it. */
export interface JobBacklog {
  kind: string;
  /** Queued and due: waiting for a worker. */
  queued: number;
  /** Queued for later (a retry's backoff, a poll's next step). */
  scheduled: number;
  running: number;
  /** How long the longest-waiting due job has waited past its time, in seconds (0 when none waits). */
  oldestWaitSeconds: number;
}

/**
 * Unfinished jobs per kind, read from the table every instance shares: the same figures from each
 * instance. `kinds` are always reported (zeros when idle), so a gauge never vanishes.
 */
export async function jobBacklog(db: Db, nowMs: number, kinds: readonly string[] = []): Promise<JobBacklog[]> {
  const now = new Date(nowMs).toISOString();
  const rows = await db
    .selectFrom('jobs')
    .select((eb) => [
      'type',
      'status',
      eb.case().when('run_at', '<=', now).then(1).else(0).end().as('due'),
      eb.fn.countAll<number | string>().as('count'),
      eb.fn.min('run_at').as('first_run_at'),
    ])
    .where('status', 'in', ['queued', 'running'])
    .groupBy(['type', 'status', 'due'])
    .execute();
  const byKind = new Map<string, JobBacklog>(kinds.map((k) => [k, { kind: k, queued: 0, scheduled: 0, running: 0, oldestWaitSeconds: 0 }]));
  for (const r of rows) {
    let b = byKind.get(r.type);
    if (!b) byKind.set(r.type, (b = { kind: r.type, queued: 0, scheduled: 0, running: 0, oldestWaitSeconds: 0 }));
    const n = Number(r.count);
    if (r.status === 'running') b.running += n;
    else if (Number(r.due) === 1) {
      b.queued += n;
      b.oldestWaitSeconds = Math.max(b.oldestWaitSeconds, (nowMs - Date.parse(r.first_run_at)) / 1000);
    } else b.scheduled += n;
  }
  return [...byKind.values()];
}
