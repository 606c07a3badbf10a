import { EventEmitter, once } from 'node:events';
import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { DialectTraits } from '../db/dialect.ts';
import type { JobsTable } from '../db/schema.ts';
import { inline } from '../db/literal.ts';

export type JobRow = Selectable<JobsTable>;

export interface EnqueueOptions {
  type: string;
  payload: unknown;
  /** A second enqueue with the same key returns the first job: work is queued once. */
  key?: string;
  runAt?: Date;
  maxAttempts?: number;
}

export interface JobContext {
  id: number;
  attempt: number;
  /** Extends the lease; call it during long work so no other worker takes the job. */
  heartbeat(): Promise<void>;
}

export type JobHandler = (payload: any, ctx: JobContext) => Promise<unknown>;

/** The job failed for good: no retry (bad input, a refusal that will not change). */
export class PermanentJobError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

export interface JobQueueOptions {
  pollMs?: number;
  leaseMs?: number;
  clock?: () => number;
  /** `job` is absent when claiming itself failed (the database did not answer). */
  onError?: (err: unknown, job?: JobRow) => void;
  backoffMs?: (attempt: number) => number;
}

/**
 * Durable jobs in the database: work survives a restart and runs once at a time. A worker claims a
 * due job by taking a lease in a transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL, SQLite's
 * single writer otherwise); a job whose worker died is taken again when its lease runs out, so
 * handlers must be idempotent (publishing is: the same tree is never committed twice).
 */
export class JobQueue {
  private readonly handlers = new Map<string, JobHandler>();
  private readonly events = new EventEmitter();
  private timer: NodeJS.Timeout | undefined;
  private running = 0;
  private stopped = true;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly clock: () => number;
  private readonly backoffMs: (attempt: number) => number;

  constructor(
    private readonly db: Db,
    private readonly traits: DialectTraits,
    private readonly opts: JobQueueOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 500;
    this.leaseMs = opts.leaseMs ?? 120_000;
    this.clock = opts.clock ?? Date.now;
    this.backoffMs = opts.backoffMs ?? ((n) => Math.min(60_000, 1000 * 2 ** (n - 1)));
    this.events.setMaxListeners(0);
  }

  register(type: string, handler: JobHandler): void {
    this.handlers.set(type, handler);
  }

  private iso(offsetMs = 0) {
    return new Date(this.clock() + offsetMs).toISOString();
  }

  /** Queues a job in `db` (pass a transaction to queue it with other changes atomically). */
  async enqueue(db: Db, o: EnqueueOptions): Promise<number> {
    if (o.key) {
      const existing = await db.selectFrom('jobs').select('id').where('dedupe_key', '=', o.key).executeTakeFirst();
      if (existing) return existing.id;
    }
    const now = this.iso();
    const row = await db
      .insertInto('jobs')
      .values({
        type: o.type,
        payload: JSON.stringify(o.payload ?? null),
        status: 'queued',
        attempts: 0,
        max_attempts: o.maxAttempts ?? 5,
        run_at: o.runAt ? o.runAt.toISOString() : now,
        locked_until: null,
        dedupe_key: o.key ?? null,
        last_error: null,
        result: null,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    this.kick();
    return row.id;
  }

  get(id: number): Promise<JobRow | undefined> {
    return this.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Resolves with the job once it is done or failed, or as it is when the wait times out. */
  async waitFor(id: number, timeoutMs: number): Promise<JobRow> {
    const deadline = this.clock() + timeoutMs;
    for (;;) {
      const job = await this.get(id);
      if (!job) throw new Error(`job ${id} does not exist`);
      const left = deadline - this.clock();
      if (job.status === 'done' || job.status === 'failed' || left <= 0) return job;
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(), Math.min(left, 1000));
      await once(this.events, `settled:${id}`, { signal: ac.signal }).catch(() => undefined);
      clearTimeout(t);
    }
  }

  /**
   * Deletes at most `limit` jobs that finished (done or failed) before `before`; returns how many
   * (for the retention sweep). A deleted job's key no longer deduplicates: the same key queues anew.
   */
  async deleteFinished(before: string, limit: number): Promise<number> {
    const r = await this.db
      .deleteFrom('jobs')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('jobs')
          .select('id')
          .where('status', 'in', ['done', 'failed'])
          // run_at ≤ updated_at for a finished job: the bound lets the (status, run_at) index narrow the scan.
          .where('run_at', '<', before)
          .where('updated_at', '<', before)
          .limit(inline(limit)),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    while (this.running > 0) await once(this.events, 'idle');
  }

  private kick() {
    if (!this.stopped && this.running === 0) this.schedule(0);
  }

  private schedule(ms: number) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.drain(), ms);
    this.timer.unref();
  }

  /** Runs due jobs one after another until none is due, then sleeps a poll interval. */
  private async drain(): Promise<void> {
    if (this.stopped || this.running > 0) return;
    this.running++;
    try {
      for (let job = await this.claim(); job && !this.stopped; job = await this.claim()) await this.run(job);
    } catch (err) {
      this.opts.onError?.(err);
    } finally {
      this.running--;
      this.events.emit('idle');
      if (!this.stopped) this.schedule(this.pollMs);
    }
  }

  private async claim(): Promise<JobRow | undefined> {
    const types = [...this.handlers.keys()];
    if (types.length === 0) return undefined;
    const now = this.iso();
    return this.db.transaction().execute(async (trx) => {
      let q = trx
        .selectFrom('jobs')
        .selectAll()
        .where('type', 'in', types)
        .where((eb) => eb.or([eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', now)]), eb.and([eb('status', '=', 'running'), eb('locked_until', '<', now)])]))
        .orderBy('run_at')
        .limit(inline(1));
      if (this.traits.rowLocks) q = q.forUpdate().skipLocked();
      const job = await q.executeTakeFirst();
      if (!job) return undefined;
      const claimed = { status: 'running' as const, attempts: job.attempts + 1, locked_until: this.iso(this.leaseMs), updated_at: now };
      await trx.updateTable('jobs').set(claimed).where('id', '=', job.id).execute();
      return { ...job, ...claimed };
    });
  }

  private async run(job: JobRow): Promise<void> {
    const handler = this.handlers.get(job.type)!;
    const ctx: JobContext = {
      id: job.id,
      attempt: job.attempts,
      heartbeat: async () => {
        await this.db.updateTable('jobs').set({ locked_until: this.iso(this.leaseMs) }).where('id', '=', job.id).execute();
      },
    };
    try {
      const result = await handler(JSON.parse(job.payload), ctx);
      await this.settle(job.id, { status: 'done', result: JSON.stringify(result ?? null), last_error: null });
    } catch (err) {
      this.opts.onError?.(err, job);
      const message = err instanceof Error ? err.message : String(err);
      const code = (err as { code?: unknown }).code;
      const lastError = JSON.stringify({ message, code: typeof code === 'string' ? code : undefined });
      const permanent = err instanceof PermanentJobError || job.attempts >= job.max_attempts;
      if (permanent) await this.settle(job.id, { status: 'failed', last_error: lastError });
      else {
        await this.db
          .updateTable('jobs')
          .set({ status: 'queued', locked_until: null, last_error: lastError, run_at: this.iso(this.backoffMs(job.attempts)), updated_at: this.iso() })
          .where('id', '=', job.id)
          .execute();
      }
    }
  }

  private async settle(id: number, patch: { status: 'done' | 'failed'; result?: string; last_error: string | null }) {
    await this.db.updateTable('jobs').set({ ...patch, locked_until: null, updated_at: this.iso() }).where('id', '=', id).execute();
    this.events.emit(`settled:${id}`);
  }
}

/** The stored error of a failed job: `{ message, code? }`. */
export function jobError(job: JobRow): { message: string; code?: string } | undefined {
  return job.last_error ? (JSON.parse(job.last_error) as { message: string; code?: string }) : undefined;
}
