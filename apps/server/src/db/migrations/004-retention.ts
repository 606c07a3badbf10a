import type { Kysely } from 'kysely';

/**
 * The retention sweep (retention/retention-sweep.ts) deletes deliveries by outcome and age in
 * short batches: this index keeps each batch a range scan, however large the table has grown.
 */
export function retention() {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.createIndex('webhook_deliveries_outcome_received').on('webhook_deliveries').columns(['outcome', 'received_at']).execute();
    },
  };
}
