import type { Kysely } from 'kysely';
import type { DialectTraits } from '../dialect.ts';

/**
 * Issue #16, items 2 and 3:
 * - `deployments.rollback_of`: the deployment a rollback redeploys (null: not a rollback);
 * - `notification_channels`: where deployment news goes (webhook, slack, discord, email), global
 *   (admins) or for one module (its owner); the secret part (webhook secret, Slack/Discord URL,
 *   SMTP password) sits in `secret`, never answered in full;
 * - `notification_deliveries`: one per channel and event, sent by a durable job, with its outcome.
 */
export function rollbackAndNotifications(traits: DialectTraits) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('deployments').addColumn('rollback_of', 'integer').execute();

      await traits
        .idColumn(db.schema.createTable('notification_channels'))
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('events', 'varchar(200)', (c) => c.notNull())
        .addColumn('module_slug', 'varchar(100)')
        .addColumn('owner_id', 'integer', (c) => c.references('users.id').onDelete('cascade'))
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();

      await traits
        .idColumn(db.schema.createTable('notification_deliveries'))
        .addColumn('channel_id', 'integer', (c) => c.notNull().references('notification_channels.id').onDelete('cascade'))
        .addColumn('event', 'varchar(40)', (c) => c.notNull())
        .addColumn('deployment_id', 'integer', (c) => c.notNull())
        .addColumn('message_id', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('last_error', 'text')
        .addColumn('response_status', 'integer')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('notification_deliveries_channel').on('notification_deliveries').columns(['channel_id', 'id']).execute();
    },
  };
}
