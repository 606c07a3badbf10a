import type { Insertable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { WebhookDeliveriesTable } from '../db/schema.ts';
import { inline } from '../db/literal.ts';
import { argNames, prepared } from '../db/prepared.ts';

export type DeliveryRecord = Omit<Insertable<WebhookDeliveriesTable>, 'id'>;
export type Outcome = WebhookDeliveriesTable['outcome'];
export const OUTCOMES: readonly Outcome[] = ['accepted', 'ignored', 'duplicate', 'rejected'];

const COLUMNS = argNames<DeliveryRecord>({
  received_at: true,
  signature_valid: true,
  outcome: true,
  http_status: true,
  error: true,
  idempotency_key: true,
  headers: true,
  body: true,
  deployment_id: true,
});

// Every delivery runs one of these: prepared (compiled once).
const insert = prepared(COLUMNS, (db, d: DeliveryRecord) => db.insertInto('webhook_deliveries').values(d));
const insertOnce = prepared(COLUMNS, (db, d: DeliveryRecord) =>
  db
    .insertInto('webhook_deliveries')
    .values(d)
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .returning('id'),
);

/** Every webhook delivery, valid or not, kept for debugging until the retention sweep deletes it. */
export class DeliveriesStore {
  async record(db: Db, d: DeliveryRecord): Promise<void> {
    await insert(db, d);
  }

  /** Records an accepted delivery; false when its idempotency key was recorded before. */
  async recordOnce(db: Db, d: DeliveryRecord): Promise<boolean> {
    return (await insertOnce(db, d)).length > 0;
  }

  recent(db: Db, limit: number) {
    return db.selectFrom('webhook_deliveries').selectAll().orderBy('id', 'desc').limit(inline(limit)).execute();
  }

  /**
   * Deletes at most `limit` of the oldest deliveries with one of `outcomes` received before
   * `before`; returns how many. One short statement (index on outcome, received_at).
   */
  async deleteReceivedBefore(db: Db, outcomes: readonly Outcome[], before: string, limit: number): Promise<number> {
    const r = await db
      .deleteFrom('webhook_deliveries')
      .where('id', 'in', (eb) =>
        eb.selectFrom('webhook_deliveries').select('id').where('outcome', 'in', outcomes).where('received_at', '<', before).orderBy('received_at').limit(inline(limit)),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  /**
   * The time before which rejected deliveries can go so that at most `keep` remain: just after the
   * `keep + 1`-th newest one's, or undefined when there are no more than `keep`.
   */
  async rejectedOverflowBefore(db: Db, keep: number): Promise<string | undefined> {
    const row = await db
      .selectFrom('webhook_deliveries')
      .select('received_at')
      .where('outcome', '=', 'rejected')
      .orderBy('received_at', 'desc')
      .limit(inline(1))
      .offset(inline(keep))
      .executeTakeFirst();
    return row && new Date(Date.parse(row.received_at) + 1).toISOString();
  }
}
