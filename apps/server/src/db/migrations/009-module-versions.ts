import { sql, type Kysely } from 'kysely';
import type { DialectTraits } from '../dialect.ts';

/**
 * Every saved definition of a module, oldest first (docs/modules.md, "Schema evolution"): written in
 * the same transaction as the module's create or update, read to render the create migration from
 * the first version and an alter migration per later change. A module saved before this migration
 * gets one version: its current definition at its creation time, which is exactly what Slipway
 * rendered for it until now, so its create migration stays the same file with the same content.
 */
export function moduleVersions(traits: DialectTraits) {
  return {
    async up(db: Kysely<unknown>) {
      await traits
        .idColumn(db.schema.createTable('module_versions'))
        .addColumn('module_id', 'integer', (c) => c.notNull().references('modules.id').onDelete('cascade'))
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('definition', 'text', (c) => c.notNull())
        .addColumn('saved_at', 'varchar(32)', (c) => c.notNull())
        .addUniqueConstraint('module_versions_module_version', ['module_id', 'version'])
        .execute();
      await sql`insert into module_versions (module_id, version, definition, saved_at)
        select id, version, definition, created_at from modules`.execute(db);
    },
  };
}
