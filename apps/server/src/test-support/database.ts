import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type DatabaseHandle } from '../db/database.ts';
import { createPgDatabase, type DialectName } from './server.ts';

/** A migrated, empty database of either dialect, for store and service tests. */
export async function openTestDatabase(dialect: DialectName): Promise<DatabaseHandle & { dispose(): Promise<void> }> {
  if (dialect === 'postgres') {
    const pg = await createPgDatabase();
    const h = openDatabase({ database: { kind: 'postgres', url: pg.url } });
    await h.migrate();
    return { ...h, dispose: async () => (await h.close(), await pg.drop()) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'slipway-db-'));
  const h = openDatabase({ database: { kind: 'sqlite', file: join(dir, 'test.db') } });
  await h.migrate();
  return { ...h, dispose: async () => (await h.close(), rmSync(dir, { recursive: true, force: true })) };
}
