import type { Insertable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { WebhookDeliveriesTable } from '../db/schema.ts';
import { inline } from '../db/literal.ts';
import { argNames, prepared } from '../db/prepared.ts';

export type DeliveryRecord = Omit<Insertable<WebhookDeliveriesTable>, 'id'>;

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

/** Every webhook delivery, valid or not, kept for debugging. */
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
}
