import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasCommand, removeProject, runCommand, writeProject } from './generated-project.ts';
import { hasDebianLaravel, laravelSkeleton } from './laravel-app.ts';
import { loadPack } from './pack-loader.ts';
import { renderPack } from './render.ts';
import { defineModule } from './test-modules.ts';

/**
 * The laravel pack's alter migration in a real Laravel (Debian's 8.83) on SQLite: a rename that
 * keeps the data (of a unique column too), a retype, drops (a relation among them: Laravel cannot
 * drop a foreign key on SQLite), adds; then `migrate:rollback` undoes it. Laravel 8 to 10 rename,
 * change, and drop on SQLite through doctrine/dbal (Debian: php-doctrine-dbal).
 */

const hasPhp = hasCommand('php', ['-v']);
const hasPdoSqlite = hasPhp && runCommand('php', ['-m'], '/').output.split('\n').includes('pdo_sqlite');
const hasDbal = existsSync('/usr/share/php/Doctrine/DBAL/Connection.php');
const skipReason = !hasPhp ? 'php is not installed' : !hasDebianLaravel() ? 'php-laravel-framework is not installed' : !hasPdoSqlite ? 'php-sqlite3 is not installed' : !hasDbal ? 'php-doctrine-dbal is not installed' : '';
const title = skipReason ? `(skipped: ${skipReason}; scripts/system-deps.sh installs it)` : '';

const v1 = defineModule({
  name: 'Items',
  applications: ['backend'],
  fields: [
    { name: 'title', type: 'string', required: true, unique: true },
    { name: 'stock', type: 'integer', required: true, default: 0 },
    { name: 'note', type: 'string' },
    { name: 'status', type: 'enum', options: ['a', 'b'] },
    { name: 'body', type: 'text' },
    { name: 'parent_id', type: 'relation', relation: 'items' },
  ],
});
const v2 = defineModule({
  name: 'Items',
  applications: ['backend'],
  fields: [
    { name: 'name', type: 'string', required: true, unique: true, renamedFrom: 'title' },
    { name: 'stock', type: 'string', required: true, default: 'none' },
    { name: 'remark', type: 'string', renamedFrom: 'note' },
    { name: 'status', type: 'enum', options: ['a', 'b'] },
    { name: 'sku', type: 'string', required: true },
  ],
});
const CREATED = new Date('2024-01-15T10:30:00Z');

describe.skipIf(skipReason !== '')(`laravel alter migration on Laravel 8 ${title}`, () => {
  let dir = '';
  afterAll(() => dir && removeProject(dir));
  const sqlite = (query: string) => {
    const r = runCommand('php', ['-r', `$pdo = new PDO('sqlite:database/database.sqlite'); echo json_encode($pdo->query(${JSON.stringify(query).replace(/\$/g, '\\$')})->fetchAll(PDO::FETCH_ASSOC));`], dir);
    expect(r.status, r.output).toBe(0);
    return JSON.parse(r.output) as Record<string, unknown>[];
  };
  const artisan = (...args: string[]) => runCommand('php', ['artisan', ...args, '--force', '--no-interaction'], dir);

  it('migrates up (renames keep their data, drops, a retype, adds) and rolls back', { timeout: 120_000 }, async () => {
    const pack = await loadPack('laravel');
    dir = writeProject('laravel-alter', renderPack(pack, v1, { generatedAt: CREATED }), laravelSkeleton());
    let r = artisan('migrate');
    expect(r.status, r.output).toBe(0);
    sqlite("insert into items (title, stock, note, status, body, created_at, updated_at) values ('x', 5, 'kept', 'a', 'gone', '2024-01-01', '2024-01-01')");
    const files = renderPack(pack, v2, { generatedAt: CREATED, versions: [{ module: v1, savedAt: CREATED }, { module: v2, savedAt: new Date('2024-02-01T09:00:00Z') }] });
    for (const f of files) {
      mkdirSync(path.join(dir, path.dirname(f.path)), { recursive: true });
      writeFileSync(path.join(dir, f.path), f.content);
    }
    r = artisan('migrate');
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('Migrated:  2024_02_01_090000_update_items_table_v2');
    expect(sqlite('select * from items')).toEqual([
      { id: 1, name: 'x', stock: '5', remark: 'kept', status: 'a', sku: null, created_at: '2024-01-01', updated_at: '2024-01-01' },
    ]);
    // The unique index followed the rename.
    expect(sqlite("select name from sqlite_master where type = 'index' and tbl_name = 'items'")).toEqual([{ name: 'items_name_unique' }]);

    r = artisan('migrate:rollback', '--step=1');
    expect(r.status, r.output).toBe(0);
    const back = sqlite('select * from items')[0]!;
    expect(back).toMatchObject({ id: 1, title: 'x', stock: 5, note: 'kept', status: 'a', body: null, parent_id: null });
    expect(back).not.toHaveProperty('name');
    expect(sqlite("select name from sqlite_master where type = 'index' and tbl_name = 'items'")).toEqual([{ name: 'items_title_unique' }]);
  });
});
