import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, type Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../db/database.ts';
import { migrations } from '../db/migrations/index.ts';
import { createPgDatabase, type DialectName } from './server.ts';

/**
 * For a migration test: a fresh, empty database of `dialect`, opened in the describe block's
 * beforeAll and closed (and dropped) in its afterAll, with a migrator over every migration, so a
 * test can migrate it to the one before, write rows as they were, then migrate to the latest.
 * Read `h` and `migrator` inside a test (they are set by beforeAll).
 */
export function unmigratedDatabase(dialect: DialectName): { h: DatabaseHandle; migrator: Migrator } {
  const state = {} as { h: DatabaseHandle; migrator: Migrator };
  let cleanup: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (dialect === 'postgres') {
      const pg = await createPgDatabase();
      state.h = openDatabase({ database: { kind: 'postgres', url: pg.url } });
      cleanup = () => pg.drop();
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'slipway-mig-'));
      state.h = openDatabase({ database: { kind: 'sqlite', file: join(dir, 'old.db') } });
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
    const h = state.h;
    state.migrator = new Migrator({ db: h.db as Kysely<unknown>, provider: { getMigrations: async () => migrations(h.traits) } });
  });
  afterAll(async () => {
    await state.h?.close();
    await cleanup?.();
  });
  return state;
}
