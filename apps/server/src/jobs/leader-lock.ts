import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config/config.ts';
import { advisoryLock } from './advisory-lock.ts';

/** Work that one instance at a time does (the watchdog, the retention sweep). */
export interface Duty {
  start(): void;
  stop(): Promise<void>;
}

/** A lock one holder at a time gets, and that its holder may lose (its connection closed). */
export interface LockBackend {
  /** Tries to take the lock; `lost` is called if the lock is lost afterwards. */
  tryAcquire(lost: () => void): Promise<boolean>;
  /** Whether the lock is still held (asked every retry interval while leading). */
  stillHeld(): Promise<boolean>;
  release(): Promise<void>;
}

/** SQLite: one server process per database file (db/sqlite-server-lock.ts), so it always leads. */
export const soleInstance: LockBackend = {
  tryAcquire: async () => true,
  stillHeld: async () => true,
  release: async () => undefined,
};

/** The backend for the configured database: an advisory lock on PostgreSQL, the sole instance on SQLite. */
export function leaderBackend(database: Config['database'], name: string): LockBackend {
  return database.kind === 'postgres' ? advisoryLock(database.url, name) : soleInstance;
}

export const DEFAULT_LEADER_RETRY_MS = 5_000;

/**
 * Runs its duties on one instance at a time. Every `retryMs` an instance that does not lead tries
 * to take the lock, and the leader checks it still holds it; a leader whose lock is lost (its
 * database connection closed, its process killed) stops its duties, and another instance takes
 * the lock at its next try. Duties must tolerate a short overlap: a leader cut off from the
 * database notices at its next check, after the lock may already have passed on.
 */
export class LeaderLock {
  private leading = false;
  private stopped = true;
  private timer: NodeJS.Timeout | undefined;
  private transition: Promise<void> = Promise.resolve();
  private lastProblem = '';
  private readonly retryMs: number;

  constructor(
    private readonly o: {
      /** For log lines, e.g. "singletons (watchdog, retention sweep)". */
      name: string;
      backend: LockBackend;
      duties: readonly Duty[];
      retryMs?: number;
      log: Pick<FastifyBaseLogger, 'info' | 'warn'>;
    },
  ) {
    this.retryMs = o.retryMs ?? DEFAULT_LEADER_RETRY_MS;
  }

  /** Whether this instance runs the duties now. */
  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.timer = setInterval(() => this.next(() => this.step()), this.retryMs);
    this.timer.unref();
    this.next(() => this.step());
  }

  /** Stops the duties (waiting for a pass under way) and hands the lock back. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.next(async () => {
      await this.resign();
      await this.o.backend.release();
    });
    await this.transition;
  }

  /** Transitions run one after another: a step never overlaps a resignation. */
  private next(fn: () => Promise<void>) {
    this.transition = this.transition.then(fn).catch((err: unknown) => {
      const problem = err instanceof Error ? err.message : String(err);
      // Said once per kind of trouble, not every retry while the database is away.
      if (problem !== this.lastProblem) this.o.log.warn({ err }, `${this.o.name}: leader lock unavailable; retrying every ${this.retryMs} ms`);
      this.lastProblem = problem;
    });
  }

  private async step(): Promise<void> {
    if (this.stopped) return;
    if (this.leading) {
      if (!(await this.o.backend.stillHeld())) await this.resign('the leader lock was lost');
      return;
    }
    if (!(await this.o.backend.tryAcquire(() => this.next(() => this.resign('the leader lock was lost (its connection closed)'))))) return;
    this.lastProblem = '';
    if (this.stopped) return void (await this.o.backend.release());
    this.leading = true;
    this.o.log.info(`${this.o.name}: this instance leads`);
    for (const d of this.o.duties) d.start();
  }

  private async resign(why?: string): Promise<void> {
    if (!this.leading) return;
    this.leading = false;
    if (why) this.o.log.warn(`${this.o.name}: ${why}; stopping them here`);
    await Promise.all(this.o.duties.map((d) => d.stop()));
  }
}
