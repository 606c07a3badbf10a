import type { Kysely } from 'kysely';

/** Token expiry, and the per-account sign-in throttle shared by every instance (auth/login-throttle.ts). */
export function accounts() {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('api_tokens').addColumn('expires_at', 'varchar(32)').execute();
      await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();

      // Keyed by a hash of the email as typed, known or not: unknown emails are throttled alike, so
      // a 429 never tells which accounts exist, and no typed address is stored in clear.
      await db.schema
        .createTable('login_throttle')
        .addColumn('key_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('last_failure_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('locked_until', 'varchar(32)')
        .addColumn('forget_after', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('login_throttle_forget').on('login_throttle').column('forget_after').execute();
    },
  };
}
