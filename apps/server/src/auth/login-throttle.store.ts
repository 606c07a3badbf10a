import type { Db } from '../db/database.ts';
import type { DialectTraits } from '../db/dialect.ts';
import { admit, forgetAfter, type Admission, type ThrottleSettings, type ThrottleState } from './login-throttle.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const ms = (t: string) => Date.parse(t);

/**
 * The throttle's state in the database, so every instance sees the same count. One transaction per
 * attempt reads the row (locked on PostgreSQL; SQLite has one writer) and writes the claimed attempt.
 */
export class LoginThrottleStore {
  constructor(
    private readonly traits: DialectTraits,
    private readonly settings: ThrottleSettings,
  ) {}

  async claim(db: Db, keyHash: string, now: number): Promise<Admission> {
    return db.transaction().execute(async (tx) => {
      // Make sure the row exists first, so two first attempts in parallel lock the same row.
      await tx
        .insertInto('login_throttle')
        .values({ key_hash: keyHash, failures: 0, last_failure_at: iso(now), locked_until: null, forget_after: iso(now) })
        .onConflict((oc) => oc.column('key_hash').doNothing())
        .execute();
      let q = tx.selectFrom('login_throttle').selectAll().where('key_hash', '=', keyHash);
      if (this.traits.rowLocks) q = q.forUpdate();
      const row = await q.executeTakeFirstOrThrow();
      const state: ThrottleState = { failures: row.failures, lastFailureAt: ms(row.last_failure_at), lockedUntil: row.locked_until ? ms(row.locked_until) : null };
      const a = admit(state, now, this.settings);
      if (a.allowed) {
        await tx
          .updateTable('login_throttle')
          .set({
            failures: a.next.failures,
            last_failure_at: iso(a.next.lastFailureAt),
            locked_until: a.next.lockedUntil === null ? null : iso(a.next.lockedUntil),
            forget_after: iso(forgetAfter(a.next, this.settings)),
          })
          .where('key_hash', '=', keyHash)
          .execute();
      }
      return a;
    });
  }

  /** A right password: the account's count starts again. */
  async clear(db: Db, keyHash: string): Promise<void> {
    await db.deleteFrom('login_throttle').where('key_hash', '=', keyHash).execute();
  }

  /** Rows nobody needs any more; keeps the table as small as the recent failures. */
  async prune(db: Db, now: number): Promise<void> {
    await db.deleteFrom('login_throttle').where('forget_after', '<=', iso(now)).execute();
  }
}
