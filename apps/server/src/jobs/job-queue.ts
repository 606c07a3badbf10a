import { randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { hostname } from 'node:os';
import type { ExpressionBuilder, Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { DialectTraits } from '../db/dialect.ts';
import type { Database, JobsTable } from '../db/schema.ts';
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
  /**
   * Renews the lease now. The queue already renews it every `heartbeatMs` while the handler runs;
   * a handler may call this before a step it must not start on a lost claim (then check `signal`).
   */
  heartbeat(): Promise<void>;
  /**
   * Aborted when this claim is lost: another worker took the job over, or the lease ran out
   * without renewal. Whatever the handler returns then is discarded; it may stop early.
   */
  signal: AbortSignal;
}

export type JobHandler = (payload: any, ctx: JobContext) => Promise<unknown>;

export interface RegisterOptions {
  /** How many jobs of this kind this queue runs at once (default 1). Kinds never wait on each other. */
  concurrency?: number;
}

/** The job failed for good: no retry (bad input, a refusal that will not change). */
export class PermanentJobError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/** A claim this queue held was lost; whatever its handler returned was discarded (reported through onError). */
export class ClaimLostError extends Error {
  constructor(readonly jobId: number, readonly attempt: number, why: string) {
    super(`job ${jobId}, attempt ${attempt}: ${why}`);
  }
}

export interface JobQueueOptions {
  pollMs?: number;
  /** How long a claim holds unless renewed (default 20 s): a dead worker's job is taken again after it. */
  leaseMs?: number;
  /** How often the claims of running handlers are renewed (default a quarter of the lease). */
  heartbeatMs?: number;
  clock?: () => number;
  /** Names this queue's claims in the table (default `<host>:<pid>:<random>`). */
  owner?: string;
  /**
   * `job` is absent when claiming or renewing itself failed (the database did not answer). A lost
   * claim comes as a ClaimLostError.
   */
  onError?: (err: unknown, job?: JobRow) => void;
  backoffMs?: (attempt: number) => number;
}

/** One claim this queue holds: the job's id and the attempt the claim made it. */
interface Claim {
  job: JobRow;
  attempt: number;
  /** When the lease runs out, as last renewed. */
  leaseUntil: number;
  abort: AbortController;
  /** The handler returned: the final update is under way (a renewal that misses it is no loss). */
  settling: boolean;
}

interface Kind {
  handler: JobHandler;
  concurrency: number;
  running: number;
}

export const DEFAULT_LEASE_MS = 20_000;

/** Due: queued and its time came, or running under a lease that ran out (its worker died). */
function due(now: string) {
  return (eb: ExpressionBuilder<Database, 'jobs'>) =>
    eb.or([eb.and([eb('status', '=', 'queued'), eb('run_at', '<=', now)]), eb.and([eb('status', '=', 'running'), eb('locked_until', '<', now)])]);
}

/**
 * Durable jobs in the database: work survives a restart, and several queues (processes,
 * instances) share one table. A queue claims due jobs of a kind in a transaction (`FOR UPDATE SKIP
 * LOCKED` on PostgreSQL; SQLite has one writer), each claim naming its owner and attempt, with a
 * short lease that a heartbeat renews while the handler runs. A job whose worker died is taken
 * again when the lease runs out. Only the claim that owns a job may complete, fail or retry it:
 * a lost claim's result is discarded. Work thus runs at least once, so handlers are idempotent
 * (publishing is: the same tree is never committed twice).
 */
export class JobQueue {
  private readonly kinds = new Map<string, Kind>();
  private readonly claims = new Set<Claim>();
  private readonly events = new EventEmitter();
  private timer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** The fill of free slots under way, if any (stop waits for it: it may be launching jobs). */
  private pumping: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  readonly owner: string;
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly clock: () => number;
  private readonly backoffMs: (attempt: number) => number;

  constructor(
    private readonly db: Db,
    private readonly traits: DialectTraits,
    private readonly opts: JobQueueOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 500;
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.heartbeatMs = opts.heartbeatMs ?? Math.max(10, Math.floor(this.leaseMs / 4));
    this.clock = opts.clock ?? Date.now;
    this.owner = opts.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.backoffMs = opts.backoffMs ?? ((n) => Math.min(60_000, 1000 * 2 ** (n - 1)));
    this.events.setMaxListeners(0);
  }

  register(type: string, handler: JobHandler, o: RegisterOptions = {}): void {
    const concurrency = o.concurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error(`concurrency of '${type}' must be a whole number from 1`);
    this.kinds.set(type, { handler, concurrency, running: this.kinds.get(type)?.running ?? 0 });
  }

  /** The kinds of job this queue runs (registered handlers). */
  get kindNames(): string[] {
    return [...this.kinds.keys()];
  }

  private iso(offsetMs = 0) {
    return new Date(this.clock() + offsetMs).toISOString();
  }

  /**
   * Queues a job in `db`: pass a transaction to queue it with the change that causes it, so both
   * commit or neither. A keyed job is inserted at most once (`ON CONFLICT DO NOTHING`, so
   * concurrent enqueues of one key never throw); every enqueue of the key answers its id.
   */
  async enqueue(db: Db, o: EnqueueOptions): Promise<number> {
    const now = this.iso();
    const values = {
      type: o.type,
      payload: JSON.stringify(o.payload ?? null),
      status: 'queued' as const,
      attempts: 0,
      max_attempts: o.maxAttempts ?? 5,
      run_at: o.runAt ? o.runAt.toISOString() : now,
      locked_until: null,
      owner: null,
      dedupe_key: o.key ?? null,
      last_error: null,
      result: null,
      created_at: now,
      updated_at: now,
    };
    // A keyed job deleted (retention) between the conflict and the read is inserted anew.
    for (let tries = 0; tries < 3; tries++) {
      const row = await db
        .insertInto('jobs')
        .values(values)
        .onConflict((oc) => oc.column('dedupe_key').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (row) {
        this.kick();
        return row.id;
      }
      const existing = await db.selectFrom('jobs').select('id').where('dedupe_key', '=', o.key!).executeTakeFirst();
      if (existing) return existing.id;
    }
    throw new Error(`could not queue job '${o.key}': its row kept disappearing`);
  }

  /**
   * Ends the unfinished job of `key` as failed with `reason`, in `db` (a control's transaction):
   * never taken again, and a running attempt loses its claim — at once in this queue, elsewhere at
   * its worker's next heartbeat — so its signal aborts. Answers whether a job was ended.
   */
  async cancel(db: Db, key: string, reason: string): Promise<boolean> {
    const r = await db
      .updateTable('jobs')
      .set({ status: 'failed', locked_until: null, last_error: JSON.stringify({ message: reason, code: 'cancelled' }), updated_at: this.iso() })
      .where('dedupe_key', '=', key)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    for (const c of this.claims) if (c.job.dedupe_key === key) this.lose(c, reason);
    return Number(r.numUpdatedRows) > 0;
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

  /**
   * Claims no more jobs and waits for the running handlers (their leases renewed until they end).
   * With `graceMs` (a shutdown), handlers still running after it are released: their jobs go back
   * to the queue, due at once and with the attempt given back, so another instance takes them now
   * rather than when the lease runs out; their handlers' signals abort, and whatever they return is
   * discarded. Answers the released jobs' ids.
   */
  async stop(o: { graceMs?: number } = {}): Promise<number[]> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pumping;
    if (o.graceMs === undefined) {
      while (this.claims.size > 0) await once(this.events, 'idle');
      return [];
    }
    const deadline = Date.now() + o.graceMs;
    while (this.claims.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) break;
      const timeout = AbortSignal.timeout(left);
      await once(this.events, 'idle', { signal: timeout }).catch(() => undefined);
    }
    return this.release([...this.claims]);
  }

  /** Gives claimed jobs back to the queue (see stop): only those this queue still owns in that attempt. */
  private async release(claims: Claim[]): Promise<number[]> {
    const live = claims.filter((c) => !c.settling && !c.abort.signal.aborted);
    if (live.length === 0) return [];
    const now = this.iso();
    const rows = await this.db
      .updateTable('jobs')
      .set((eb) => ({ status: 'queued', owner: null, locked_until: null, run_at: now, updated_at: now, attempts: eb('attempts', '-', 1) }))
      .where('owner', '=', this.owner)
      .where('status', '=', 'running')
      .where((eb) => eb.or(live.map((c) => eb.and([eb('id', '=', c.job.id), eb('attempts', '=', c.attempt)]))))
      .returning('id')
      .execute();
    for (const c of live) {
      // Not lose(): a release is no error. The handler may stop early; its result is discarded.
      c.abort.abort(new ClaimLostError(c.job.id, c.attempt, 'released: this instance is shutting down; the job went back to the queue'));
      this.claims.delete(c);
    }
    if (this.claims.size === 0) {
      clearInterval(this.heartbeatTimer);
      this.heartbeatTimer = undefined;
    }
    return rows.map((r) => r.id);
  }

  private kick() {
    if (!this.stopped) void this.pump();
  }

  private schedule(ms: number) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.pump(), ms);
    this.timer.unref();
  }

  /** Fills the free slots of every kind with due jobs, then sleeps a poll interval. */
  private pump(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.pumping) {
      this.again = true;
      return this.pumping;
    }
    this.pumping = this.fill().finally(() => {
      this.pumping = undefined;
      if (this.stopped) return;
      // A wake-up that came as the fill ended is not lost.
      if (this.again) this.schedule(0);
      else this.schedule(this.pollMs);
    });
    return this.pumping;
  }

  private async fill(): Promise<void> {
    try {
      do {
        this.again = false;
        const free = [...this.kinds].filter(([, k]) => k.running < k.concurrency).map(([type]) => type);
        // One cheap look for due work, then one claim per kind that has some.
        const withWork = free.length > 1 ? await this.dueKinds(free) : free;
        for (const type of withWork) {
          const kind = this.kinds.get(type)!;
          if (this.stopped || kind.running >= kind.concurrency) continue;
          for (const job of await this.claim(type, kind.concurrency - kind.running)) this.launch(job, kind);
        }
      } while (this.again && !this.stopped);
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  private async dueKinds(types: string[]): Promise<string[]> {
    const rows = await this.db.selectFrom('jobs').select('type').distinct().where('type', 'in', types).where(due(this.iso())).execute();
    return rows.map((r) => r.type);
  }

  /** Takes up to `n` due jobs of one kind for this queue: a new attempt each, under a fresh lease. */
  private async claim(type: string, n: number): Promise<JobRow[]> {
    const now = this.iso();
    return this.db.transaction().execute(async (trx) => {
      let q = trx.selectFrom('jobs').select('id').where('type', '=', type).where(due(now)).orderBy('run_at').orderBy('id').limit(inline(n));
      if (this.traits.rowLocks) q = q.forUpdate().skipLocked();
      const ids = (await q.execute()).map((r) => r.id);
      if (ids.length === 0) return [];
      return trx
        .updateTable('jobs')
        .set((eb) => ({ status: 'running', owner: this.owner, attempts: eb('attempts', '+', 1), locked_until: this.iso(this.leaseMs), updated_at: now }))
        .where('id', 'in', ids)
        // Again in the update: on SQLite another connection may have claimed since the select.
        .where(due(now))
        .returningAll()
        .execute();
    });
  }

  private launch(job: JobRow, kind: Kind): void {
    kind.running++;
    const claim: Claim = { job, attempt: job.attempts, leaseUntil: this.clock() + this.leaseMs, abort: new AbortController(), settling: false };
    this.claims.add(claim);
    this.heartbeatTimer ??= setInterval(() => void this.heartbeat(), this.heartbeatMs);
    this.heartbeatTimer.unref();
    void this.run(claim, kind.handler).finally(() => {
      kind.running--;
      this.claims.delete(claim);
      if (this.claims.size === 0) {
        clearInterval(this.heartbeatTimer);
        this.heartbeatTimer = undefined;
        this.events.emit('idle');
      }
      this.kick();
    });
  }

  private async run(claim: Claim, handler: JobHandler): Promise<void> {
    const { job, attempt } = claim;
    if (attempt > job.max_attempts) {
      // Its worker died during the last attempt allowed (a job that crashes its process is bounded too).
      const lastError = JSON.stringify({ message: `the worker running attempt ${job.max_attempts} of ${job.max_attempts} stopped before it finished`, code: 'worker_lost' });
      await this.finish(claim, { status: 'failed', last_error: lastError }).catch((err: unknown) => this.opts.onError?.(err, job));
      return;
    }
    const ctx: JobContext = { id: job.id, attempt, heartbeat: () => this.renew([claim]), signal: claim.abort.signal };
    let outcome: { ok: true; result: unknown } | { ok: false; err: unknown };
    try {
      outcome = { ok: true, result: await handler(JSON.parse(job.payload), ctx) };
    } catch (err) {
      outcome = { ok: false, err };
    }
    claim.settling = true;
    try {
      if (outcome.ok) {
        await this.finish(claim, { status: 'done', result: JSON.stringify(outcome.result ?? null), last_error: null });
        return;
      }
      const { err } = outcome;
      this.opts.onError?.(err, job);
      const message = err instanceof Error ? err.message : String(err);
      const code = (err as { code?: unknown }).code;
      const lastError = JSON.stringify({ message, code: typeof code === 'string' ? code : undefined });
      if (err instanceof PermanentJobError || attempt >= job.max_attempts) await this.finish(claim, { status: 'failed', last_error: lastError });
      else await this.finish(claim, { status: 'queued', locked_until: null, last_error: lastError, run_at: this.iso(this.backoffMs(attempt)) });
    } catch (err) {
      // The database did not answer: the lease runs out and the job is taken again.
      this.opts.onError?.(err, job);
    }
  }

  /** Writes the end of an attempt, only if this claim still owns the job; otherwise discards it. */
  private async finish(claim: Claim, patch: { status: 'done' | 'failed' | 'queued'; result?: string; last_error: string | null; locked_until?: null; run_at?: string }) {
    const r = await this.db
      .updateTable('jobs')
      .set({ ...patch, locked_until: null, updated_at: this.iso() })
      .where('id', '=', claim.job.id)
      .where('owner', '=', this.owner)
      .where('attempts', '=', claim.attempt)
      .where('status', '=', 'running')
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return this.lose(claim, `the claim was lost (another worker took the job over); this attempt's ${patch.status === 'done' ? 'result' : 'outcome'} is discarded`);
    if (patch.status !== 'queued') this.events.emit(`settled:${claim.job.id}`);
  }

  private lose(claim: Claim, why: string) {
    if (claim.abort.signal.aborted) return;
    claim.abort.abort(new ClaimLostError(claim.job.id, claim.attempt, why));
    this.opts.onError?.(claim.abort.signal.reason, claim.job);
  }

  /** The heartbeat: renews every running claim of this queue in one statement. */
  private async heartbeat(): Promise<void> {
    const now = this.clock();
    const live: Claim[] = [];
    for (const c of this.claims) {
      if (c.settling || c.abort.signal.aborted) continue;
      if (now > c.leaseUntil) this.lose(c, 'its lease ran out before it could be renewed; another worker may run the job');
      else live.push(c);
    }
    await this.renew(live).catch((err: unknown) => this.opts.onError?.(err));
  }

  private async renew(claims: Claim[]): Promise<void> {
    if (claims.length === 0) return;
    const until = this.clock() + this.leaseMs;
    const rows = await this.db
      .updateTable('jobs')
      .set({ locked_until: new Date(until).toISOString() })
      .where('owner', '=', this.owner)
      .where('status', '=', 'running')
      .where((eb) => eb.or(claims.map((c) => eb.and([eb('id', '=', c.job.id), eb('attempts', '=', c.attempt)]))))
      .returning(['id', 'attempts'])
      .execute();
    const kept = new Set(rows.map((r) => `${r.id}:${r.attempts}`));
    for (const c of claims) {
      if (kept.has(`${c.job.id}:${c.attempt}`)) c.leaseUntil = until;
      // A claim that ended while the renewal ran is no loss.
      else if (!c.settling && this.claims.has(c)) this.lose(c, 'another worker took the job over; this attempt will be discarded');
    }
  }
}

/** The stored error of a failed job: `{ message, code? }`. */
export function jobError(job: JobRow): { message: string; code?: string } | undefined {
  return job.last_error ? (JSON.parse(job.last_error) as { message: string; code?: string }) : undefined;
}
