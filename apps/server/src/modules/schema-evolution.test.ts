/**
 * Issue 13 item 3 on real repositories: an update that removes, renames or retypes a field pushes a
 * new migration beside the create migration, which stays byte for byte what the first push wrote;
 * `renamedFrom` must name a field of the version it replaces.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBareRepo } from '../git/index.ts';
import { call } from '../test-support/http.ts';
import { DIALECTS, startTestServer, type TestServer } from '../test-support/server.ts';

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8' });
const TITLE = { name: 'title', type: 'string', required: true };
const STOCK = { name: 'stock', type: 'integer', required: true, default: 0 };
const NOTE = { name: 'note', type: 'text' };
const parts = (fields: Record<string, unknown>[]) => ({ name: 'Parts', applications: ['backend', 'legacy'], fields });

describe.each(DIALECTS)('schema evolution on %s', (dialect) => {
  let s: TestServer;
  let alice: string;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-schema-evolution-'));
  const repo = (app: string) => join(dir, 'remotes', `${app}.git`);
  const ls = (app: string) => git(repo(app), 'ls-tree', '-r', '--name-only', 'module/parts').split('\n').filter((p) => p.includes('migrations/'));
  const show = (app: string, path: string) => git(repo(app), 'show', `module/parts:${path}`);
  const update = (fields: Record<string, unknown>[]) => call(s.url, 'PUT', '/api/admin/modules/parts', { token: alice, body: parts(fields) });

  beforeAll(async () => {
    for (const app of ['backend', 'legacy']) await ensureBareRepo(join(dir, 'remotes'), app, { initialFiles: [{ path: 'README.md', content: `# ${app}\n` }] });
    writeFileSync(
      join(dir, 'apps.yaml'),
      `applications:\n  - id: backend\n    repoUrl: ${repo('backend')}\n    templatePack: typescript-api\n  - id: legacy\n    repoUrl: ${repo('legacy')}\n    templatePack: laravel\n`,
    );
    s = await startTestServer(dialect, { SLIPWAY_CONFIG: join(dir, 'apps.yaml'), SLIPWAY_PUBLISH_WAIT_MS: '60000' });
    await s.ctx.auth.addUser('alice@example.com', 'alice-password', 'member');
    alice = await s.ctx.auth.createToken('alice@example.com', 't');
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the create migration and adds a migration per update that changes the fields', async () => {
    const created = await call(s.url, 'POST', '/api/admin/modules', { token: alice, body: parts([TITLE, STOCK, NOTE]) });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const [tsCreate] = ls('backend');
    const [phpCreate] = ls('legacy');
    expect(tsCreate).toMatch(/^src\/db\/migrations\/\d{14}_create_parts\.ts$/);
    expect(phpCreate).toMatch(/^database\/migrations\/\d{4}_\d\d_\d\d_\d{6}_create_parts_table\.php$/);
    const before = { ts: show('backend', tsCreate!), php: show('legacy', phpCreate!) };

    // note is removed; stock is renamed quantity (its data kept); sku is added.
    const r = await update([TITLE, { ...STOCK, name: 'quantity', renamedFrom: 'stock' }, { name: 'sku', type: 'string' }]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const ts = ls('backend');
    const php = ls('legacy');
    expect(ts).toHaveLength(2);
    expect(php).toHaveLength(2);
    expect(show('backend', tsCreate!)).toBe(before.ts);
    expect(show('legacy', phpCreate!)).toBe(before.php);
    const tsAlter = show('backend', ts.find((p) => p.includes('_alter_parts_v2'))!);
    expect(tsAlter).toContain("await db.schema.alterTable('parts').dropColumn('note').execute();");
    expect(tsAlter).toContain("await db.schema.alterTable('parts').renameColumn('stock', 'quantity').execute();");
    const phpAlter = show('legacy', php.find((p) => p.includes('_update_parts_table_v2'))!);
    expect(phpAlter).toContain("$table->dropColumn('note');");
    expect(phpAlter).toContain("$table->renameColumn('stock', 'quantity');");
    // The ordinary files follow the last version.
    expect(show('backend', 'src/modules/parts/parts.table.ts')).toContain('  quantity: ColumnType<number, number | undefined, number>;');

    // The same body again, and the same from the form (no renamedFrom): the rename is spent, nothing
    // changed, so no new version and nothing pushed.
    const head = git(repo('backend'), 'rev-parse', 'module/parts');
    const versions = () => s.ctx.database.db.selectFrom('module_versions').select(['version', 'definition']).orderBy('version').execute();
    for (const fields of [
      [TITLE, { ...STOCK, name: 'quantity', renamedFrom: 'stock' }, { name: 'sku', type: 'string' }],
      [TITLE, { ...STOCK, name: 'quantity' }, { name: 'sku', type: 'string' }],
    ]) {
      const again = await update(fields);
      expect(again.status, JSON.stringify(again.body)).toBe(200);
      expect(git(repo('backend'), 'rev-parse', 'module/parts')).toBe(head);
    }
    expect((await versions()).map((v) => v.version)).toEqual([1, 2]);
    expect(JSON.parse((await versions())[1]!.definition).fields[1]).toMatchObject({ name: 'quantity', renamedFrom: 'stock' });
    // Only the description changes: a new version (without the spent rename), no new migration.
    const described = await call(s.url, 'PUT', '/api/admin/modules/parts', {
      token: alice,
      body: { ...parts([TITLE, { ...STOCK, name: 'quantity', renamedFrom: 'stock' }, { name: 'sku', type: 'string' }]), description: 'Spare parts' },
    });
    expect(described.status, JSON.stringify(described.body)).toBe(200);
    expect(ls('backend')).toEqual(ts);
    const stored = await versions();
    expect(stored.map((v) => v.version)).toEqual([1, 2, 5]);
    expect(JSON.parse(stored[2]!.definition).fields[1]).not.toHaveProperty('renamedFrom');
  });

  it('the update preview warns, for each application with migrations, of the data a drop or a rename without renamedFrom loses', async () => {
    const r = await call(s.url, 'POST', '/api/admin/modules/parts/preview', { token: alice, body: parts([TITLE, { ...STOCK, name: 'amount' }]) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    for (const app of r.body.applications) {
      expect(app.notes).toEqual(
        expect.arrayContaining([
          `data in quantity will be lost: the column is dropped (if it was renamed to 'amount', set "Renamed from" on that field to keep it)`,
          `data in sku will be lost: the column is dropped (if it was renamed to 'amount', set "Renamed from" on that field to keep it)`,
        ]),
      );
    }
    const renamed = await call(s.url, 'POST', '/api/admin/modules/parts/preview', { token: alice, body: parts([TITLE, { ...STOCK, name: 'amount', renamedFrom: 'quantity' }, { name: 'sku', type: 'string' }]) });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    for (const app of renamed.body.applications) expect(app.notes.filter((n: string) => n.startsWith('data in'))).toEqual([]);
  });

  it('refuses a renamedFrom that names no field of the current version, and stores nothing', async () => {
    const heads = git(repo('backend'), 'rev-parse', 'module/parts');
    const r = await update([TITLE, { ...STOCK, name: 'amount', renamedFrom: 'stock' }, { name: 'sku', type: 'string' }]);
    expect(r.status).toBe(422);
    expect(JSON.stringify(r.body)).toContain("the module has no field 'stock' to rename");
    expect(git(repo('backend'), 'rev-parse', 'module/parts')).toBe(heads);
    const created = await call(s.url, 'POST', '/api/admin/modules', { token: alice, body: { ...parts([{ ...TITLE, renamedFrom: 'name' }]), name: 'Other' } });
    expect(created.status).toBe(422);
    expect(JSON.stringify(created.body)).toContain('a new module has no earlier field to rename');
  });
});
