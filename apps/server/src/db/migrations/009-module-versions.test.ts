import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { unmigratedDatabase } from '../../test-support/migration-db.ts';
import { DIALECTS } from '../../test-support/server.ts';
import { ModulesStore } from '../../modules/modules.store.ts';

/** Migration 009 on a database written before it: each module gets its current definition as its one version. */
describe.each(DIALECTS)('migration 009 (module_versions) on %s', (dialect) => {
  const oldDb = unmigratedDatabase(dialect);

  it('backfills one version per module (its definition, at its creation), then keeps every save, and forgets them with the module', async () => {
    const { h, migrator } = oldDb;
    expect((await migrator.migrateTo('008-previews')).error).toBeUndefined();
    const definition = (fields: string[]) => ({ name: 'Parts', slug: 'parts', description: '', applications: ['backend'], git: { enabled: false, createBranch: true, baseBranch: 'main', branchName: 'module/parts' }, fields: fields.map((name) => ({ name, type: 'string', required: false, unique: false, default: null })) });
    const old = await h.db
      .insertInto('modules')
      .values({ slug: 'parts', name: 'Parts', definition: JSON.stringify(definition(['title', 'note'])), owner_id: null, version: 3, created_at: '2024-01-15T10:30:00.000Z', updated_at: '2024-02-01T00:00:00.000Z' })
      .returningAll()
      .executeTakeFirstOrThrow();
    expect((await migrator.migrateToLatest()).error).toBeUndefined();

    const store = new ModulesStore();
    expect(await store.history(h.db, old)).toEqual([{ module: definition(['title', 'note']), savedAt: new Date('2024-01-15T10:30:00.000Z') }]);
    const next = await h.db.transaction().execute((trx) => store.update(trx, old, definition(['title']) as never, '2024-03-01T00:00:00.000Z'));
    expect(next.version).toBe(4);
    const history = await store.history(h.db, next);
    expect(history.map((v) => [v.module.fields.map((f) => f.name), v.savedAt.toISOString()])).toEqual([
      [['title', 'note'], '2024-01-15T10:30:00.000Z'],
      [['title'], '2024-03-01T00:00:00.000Z'],
    ]);
    // The row as the previous version saw it reads the history up to that version.
    expect(await store.history(h.db, old)).toHaveLength(1);
    // One version per (module, version).
    await expect(h.db.insertInto('module_versions').values({ module_id: old.id, version: 4, definition: '{}', saved_at: 'x' }).execute()).rejects.toThrow();
    await store.delete(h.db, old.id);
    expect(await h.db.selectFrom('module_versions').selectAll().execute()).toEqual([]);
  });
});
