import type { Insertable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { WebhookDeliveriesTable } from '../db/schema.ts';

export type DeliveryRecord = Insertable<WebhookDeliveriesTable>;

/** Every webhook delivery, valid or not, kept for debugging. */
export class DeliveriesStore {
  async record(db: Db, d: DeliveryRecord): Promise<void> {
    await db.insertInto('webhook_deliveries').values(d).execute();
  }

  async isDuplicate(db: Db, key: string): Promise<boolean> {
    const row = await db.selectFrom('webhook_deliveries').select('id').where('idempotency_key', '=', key).executeTakeFirst();
    return row !== undefined;
  }

  recent(db: Db, limit: number) {
    return db.selectFrom('webhook_deliveries').selectAll().orderBy('id', 'desc').limit(limit).execute();
  }
}
