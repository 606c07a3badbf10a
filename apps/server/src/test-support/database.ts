import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/config.ts';
import { openDatabase, type DatabaseHandle } from '../db/database.ts';
import { createPgDatabase, type DialectName } from './server.ts';

/**
 * A migrated, empty database of either dialect, for store and service tests. `database` is its
 * configuration, for a second connection or another process on the same database.
 */
export async function openTestDatabase(dialect: DialectName): Promise<DatabaseHandle & { database: Config['database']; dispose(): Promise<void> }> {
  if (dialect === 'postgres') {
    const pg = await createPgDatabase();
    const database = { kind: 'postgres' as const, url: pg.url };
    const h = openDatabase({ database });
    await h.migrate();
    return { ...h, database, dispose: async () => (await h.close(), await pg.drop()) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'slipway-db-'));
  const database = { kind: 'sqlite' as const, file: join(dir, 'test.db') };
  const h = openDatabase({ database });
  await h.migrate();
  return { ...h, database, dispose: async () => (await h.close(), rmSync(dir, { recursive: true, force: true })) };
}
