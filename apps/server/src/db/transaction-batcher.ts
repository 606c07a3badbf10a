import type { Transaction } from 'kysely';
import type { Db } from './database.ts';
import type { Database } from './schema.ts';

export type Work<T> = (trx: Transaction<Database>) => Promise<T>;

interface Pending {
  work: Work<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

const ABANDON = Symbol('a unit of the batch failed');

/**
 * Group commit: units of work that arrive together run in one transaction, and each caller's
 * promise settles only after that transaction committed. A commit is the expensive part of a
 * small write (SQLite writes every touched page to its log with one system call each), so ten
 * webhooks committed together cost little more than one.
 *
 * Units must not depend on running alone, only on running in order. If one throws, the batch is
 * rolled back and every unit runs again in a transaction of its own, so a failure (a duplicate
 * delivery, a broken row) stays that unit's and the others commit as if never batched.
 */
export class TransactionBatcher {
  private queue: Pending[] = [];
  private flushing = false;

  /** `maxBatch` bounds how long the last unit of a batch waits for the first. */
  constructor(
    private readonly db: Db,
    private readonly maxBatch = 64,
  ) {}

  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      // Units that arrive in the same turn of the event loop share the next batch.
      if (!this.flushing && this.queue.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await (batch.length === 1 ? this.alone(batch[0]!) : this.together(batch));
      }
    } finally {
      this.flushing = false;
    }
  }

  private async together(batch: Pending[]): Promise<void> {
    let results: unknown[];
    try {
      results = await this.db.transaction().execute(async (trx) => {
        const out: unknown[] = [];
        for (const unit of batch) {
          try {
            out.push(await unit.work(trx));
          } catch {
            throw ABANDON;
          }
        }
        return out;
      });
    } catch {
      // A unit failed, or the commit did: nothing of the batch is stored. Each unit now gets
      // its own transaction and its own answer.
      for (const unit of batch) await this.alone(unit);
      return;
    }
    batch.forEach((unit, i) => unit.resolve(results[i]));
  }

  private async alone(unit: Pending): Promise<void> {
    try {
      unit.resolve(await this.db.transaction().execute(unit.work));
    } catch (err) {
      unit.reject(err);
    }
  }
}
