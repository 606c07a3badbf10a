import { sql, type Kysely } from 'kysely';
import type { DialectTraits } from '../dialect.ts';

/** Users, tokens, sessions, deployments with targets and events, and every webhook delivery. */
export function initial(traits: DialectTraits) {
  return {
    async up(db: Kysely<unknown>) {
      await traits
        .idColumn(db.schema.createTable('users'))
        .addColumn('email', 'varchar(320)', (c) => c.notNull().unique())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();

      await traits
        .idColumn(db.schema.createTable('api_tokens'))
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'varchar(200)', (c) => c.notNull())
        .addColumn('token_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('last_used_at', 'varchar(32)')
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('csrf_token', 'varchar(64)', (c) => c.notNull())
        .addColumn('expires_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .execute();

      await traits
        .idColumn(db.schema.createTable('deployments'))
        .addColumn('module_slug', 'varchar(100)')
        .addColumn('branch_name', 'varchar(255)')
        .addColumn('commit_sha', 'varchar(64)')
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('message', 'text')
        .addColumn('url', 'text')
        .addColumn('owner_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('last_sequence', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('started_at', 'varchar(32)')
        .addColumn('finished_at', 'varchar(32)')
        .execute();
      await db.schema.createIndex('deployments_created_at').on('deployments').column('created_at').execute();
      await db.schema.createIndex('deployments_module_slug').on('deployments').columns(['module_slug', 'created_at']).execute();
      await db.schema.createIndex('deployments_status').on('deployments').columns(['status', 'updated_at']).execute();

      await traits
        .idColumn(db.schema.createTable('deployment_targets'))
        .addColumn('deployment_id', 'integer', (c) => c.notNull().references('deployments.id').onDelete('cascade'))
        .addColumn('application_id', 'varchar(100)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('external_id', 'varchar(200)')
        .addColumn('commit_sha', 'varchar(64)')
        .addColumn('url', 'text')
        .addColumn('run_url', 'text')
        .addColumn('message', 'text')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('started_at', 'varchar(32)')
        .addColumn('finished_at', 'varchar(32)')
        .addUniqueConstraint('deployment_targets_deployment_app', ['deployment_id', 'application_id'])
        .execute();
      await db.schema.createIndex('deployment_targets_external').on('deployment_targets').columns(['external_id', 'application_id']).execute();
      // Correlation without an external id looks only at open targets no CI run has claimed yet:
      // a partial index keeps that lookup small however many deployments accumulate.
      await db.schema
        .createIndex('deployment_targets_unclaimed')
        .on('deployment_targets')
        .columns(['application_id', 'deployment_id'])
        .where(sql.ref('external_id'), 'is', null)
        .execute();

      await traits
        .idColumn(db.schema.createTable('deployment_events'))
        .addColumn('deployment_id', 'integer', (c) => c.notNull().references('deployments.id').onDelete('cascade'))
        .addColumn('sequence', 'integer', (c) => c.notNull())
        .addColumn('target_id', 'integer', (c) => c.references('deployment_targets.id').onDelete('set null'))
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('message', 'text')
        .addColumn('logs', 'text', (c) => c.notNull())
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addUniqueConstraint('deployment_events_sequence', ['deployment_id', 'sequence'])
        .execute();

      await traits
        .idColumn(db.schema.createTable('webhook_deliveries'))
        .addColumn('received_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('signature_valid', 'integer', (c) => c.notNull())
        .addColumn('outcome', 'varchar(16)', (c) => c.notNull())
        .addColumn('http_status', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('idempotency_key', 'varchar(200)', (c) => c.unique())
        .addColumn('headers', 'text', (c) => c.notNull())
        .addColumn('body', 'text')
        .addColumn('deployment_id', 'integer', (c) => c.references('deployments.id').onDelete('set null'))
        .execute();
    },
  };
}
