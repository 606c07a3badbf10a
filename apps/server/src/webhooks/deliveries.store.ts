import type { Insertable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { WebhookDeliveriesTable } from '../db/schema.ts';
import { inline } from '../db/literal.ts';

export type DeliveryRecord = Insertable<WebhookDeliveriesTable>;

/** Every webhook delivery, valid or not, kept for debugging. */
export class DeliveriesStore {
  async record(db: Db, d: DeliveryRecord): Promise<void> {
    await db.insertInto('webhook_deliveries').values(d).execute();
  }

  /** Records an accepted delivery; false when its idempotency key was recorded before. */
  async recordOnce(db: Db, d: DeliveryRecord): Promise<boolean> {
    const row = await db
      .insertInto('webhook_deliveries')
      .values(d)
      .onConflict((oc) => oc.column('idempotency_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    return row !== undefined;
  }

  recent(db: Db, limit: number) {
    return db.selectFrom('webhook_deliveries').selectAll().orderBy('id', 'desc').limit(inline(limit)).execute();
  }
}
