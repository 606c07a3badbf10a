import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplicationFiles, GeneratedFile, ModuleDefinition } from '@slipway/contracts';
import { hasCommand, removeProject, runCommand, STRICT_TSCONFIG, typecheck, writeProject } from './generated-project.ts';
import { loadPack } from './pack-loader.ts';
import { parseManifest, PackError } from './pack-manifest.ts';
import type { ModuleVersion } from './render.ts';
import { renderVersions } from './render-versions.ts';
import { defineModule, everyFieldTypeModule, GENERATED_AT } from './test-modules.ts';

const APPS = [
  { id: 'backend', pack: 'typescript-api' },
  { id: 'laravel', pack: 'laravel' },
];
const render = (versions: ModuleVersion[]) => renderVersions(versions, APPS, (a) => loadPack(a.pack));
const filesOf = (out: ApplicationFiles[], pack: string) => out.find((a) => a.pack === pack)!.files;
const migrations = (files: GeneratedFile[]) => files.filter((f) => f.path.includes('migrations/'));
const at = (iso: string) => new Date(iso);

/** v1 → v2 with the field list edited by `edit`. */
function next(m: ModuleDefinition, edit: (fields: ModuleDefinition['fields']) => unknown[]): ModuleDefinition {
  return defineModule({ name: m.name, description: m.description, applications: m.applications, fields: edit(m.fields) as never });
}

const v1 = everyFieldTypeModule();
// Every kind of change at once: a rename (kept data), a retype, a drop, a required add, an enum add.
const v2 = next(v1, (fields) => [
  ...fields
    .filter((f) => f.name !== 'body')
    .map((f) => (f.name === 'note' ? { ...f, name: 'remark', renamedFrom: 'note' } : f.name === 'stock' ? { ...f, type: 'string', default: 'none', unique: true } : f)),
  { name: 'sku', type: 'string', required: true },
  { name: 'size', type: 'enum', options: ['s', 'm'], required: true, default: 's' },
]);
// Then a field added with nothing else changed, and a version that changes no field (no migration).
const v3 = next(v2, (fields) => [...fields.map(({ renamedFrom: _r, ...f }) => f), { name: 'barcode', type: 'string' }]);
const v4 = { ...v3, description: 'Only the description changed' };
const history: ModuleVersion[] = [
  { module: v1, savedAt: GENERATED_AT },
  { module: v2, savedAt: at('2024-02-01T09:00:00.400Z') },
  { module: v3, savedAt: at('2024-02-01T09:00:00.900Z') },
  { module: v4, savedAt: at('2024-03-01T00:00:00Z') },
];

describe('renderVersions', () => {
  it('renders the create migration from the first version, byte for byte the same after every update', async () => {
    const first = await render(history.slice(0, 1));
    const later = await render(history);
    for (const pack of ['typescript-api', 'laravel']) {
      const create = migrations(filesOf(first, pack));
      expect(create).toHaveLength(1);
      expect(migrations(filesOf(later, pack))[0]).toEqual(create[0]);
    }
    expect(migrations(filesOf(first, 'laravel'))[0]!.path).toBe('database/migrations/2024_01_15_103000_create_products_table.php');
    // v1 had body; the create migration still has it, though the last version dropped it.
    expect(migrations(filesOf(later, 'laravel'))[0]!.content).toContain("$table->text('body')->nullable();");
  });

  it('adds one alter migration per version whose fields changed, named by its time, in order', async () => {
    const out = await render(history);
    expect(migrations(filesOf(out, 'laravel')).map((f) => f.path)).toEqual([
      'database/migrations/2024_01_15_103000_create_products_table.php',
      'database/migrations/2024_02_01_090000_update_products_table_v2.php',
      // v3 was saved in the same second as v2: one second later, so the names keep their order.
      'database/migrations/2024_02_01_090001_update_products_table_v3.php',
    ]);
    expect(migrations(filesOf(out, 'typescript-api')).map((f) => f.path)).toEqual([
      'src/db/migrations/20240115103000_create_products.ts',
      'src/db/migrations/20240201090000_alter_products_v2.ts',
      'src/db/migrations/20240201090001_alter_products_v3.ts',
    ]);
    // The ordinary files follow the last version.
    const table = filesOf(out, 'typescript-api').find((f) => f.path.endsWith('products.table.ts'))!.content;
    expect(table).toContain('  barcode: string | null;');
    expect(table).toContain('  remark: string | null;');
    expect(table).not.toContain('  body:');
    expect(table).not.toContain('  note:');
  });

  it('is deterministic: the same history renders the same bytes', async () => {
    expect(await render(history)).toEqual(await render(history));
  });

  it('drops a removed field, renames a field with renamedFrom, and changes a retyped one (Laravel)', async () => {
    const alter = migrations(filesOf(await render(history.slice(0, 2)), 'laravel'))[1]!.content;
    const up = alter.slice(alter.indexOf('function up'), alter.indexOf('function down'));
    const down = alter.slice(alter.indexOf('function down'));
    expect(up).toContain("Schema::table('products', function (Blueprint $table) use ($sqlite): void {");
    expect(up).toContain("$table->renameColumn('note', 'remark');");
    expect(up).toContain("$table->dropColumn('body');");
    expect(up).toContain("$table->string('stock', 255)->default('none')->change();");
    expect(up).toContain("$table->unique('stock');");
    // Required without a default: added nullable, the rows there have no value.
    expect(up).toContain("$table->string('sku', 255)->nullable();");
    expect(up).toContain("$table->enum('size', ['s', 'm'])->default('s');");
    expect(down).toContain("$table->renameColumn('remark', 'note');");
    expect(down).toContain("$table->text('body')->nullable();");
    expect(down).toContain("$table->integer('stock')->default(0)->change();");
    expect(down).toContain("$table->dropColumn('sku');");
    // Without renamedFrom, the same rename is a drop and an add.
    const plain = next(v1, (fields) => fields.map((f) => (f.name === 'note' ? { ...f, name: 'remark' } : f)));
    const lossy = migrations(filesOf(await render([history[0]!, { module: plain, savedAt: history[1]!.savedAt }]), 'laravel'))[1]!.content;
    expect(lossy).toContain("$table->dropColumn('note');");
    expect(lossy).toContain("$table->string('remark', 255)->nullable()->default('none');");
    expect(lossy).not.toContain('renameColumn');
  });

  it('drops a relation column without its foreign key on SQLite, where Laravel cannot drop one', async () => {
    const dropped = next(v1, (fields) => fields.filter((f) => f.name !== 'customer_id'));
    const alter = migrations(filesOf(await render([history[0]!, { module: dropped, savedAt: history[1]!.savedAt }]), 'laravel'))[1]!.content;
    expect(alter).toContain("if (! $sqlite) {\n                $table->dropForeign(['customer_id']);\n            }\n            $table->dropColumn('customer_id');");
  });

  it('renders the TypeScript alter migration as Kysely ALTER TABLE statements, with a rebuild for SQLite', async () => {
    const alter = migrations(filesOf(await render(history.slice(0, 2)), 'typescript-api'))[1]!.content;
    expect(alter).toContain("await db.schema.alterTable('products').renameColumn('note', 'remark').execute();");
    expect(alter).toContain("await db.schema.alterTable('products').dropColumn('body').execute();");
    expect(alter).toContain("alter column ${sql.ref('stock')} type varchar(255) using ${sql.ref('stock')}::varchar(255)");
    expect(alter).toContain("await db.schema.alterTable('products').addColumn('sku', 'varchar(255)', (col) => col.notNull().defaultTo('')).execute();");
    expect(alter).toContain("await rebuild(db, async (name) => {");
    // v2 → v3 only adds a nullable column: SQLite alters in place.
    const v3alter = migrations(filesOf(await render(history.slice(0, 3)), 'typescript-api'))[2]!.content;
    expect(v3alter).not.toContain('await rebuild(');
    expect(v3alter).toContain("await db.schema.alterTable('products').addColumn('barcode', 'varchar(255)').execute();");
  });

  it('needs a migrations section with both templates, never also listed in files', () => {
    const yaml = (extra: string) => `name: x\nfiles:\n  - template: a.eta\n    path: a\n${extra}`;
    expect(parseManifest(yaml('migrations:\n  create: { template: c.eta, path: c }\n  alter: { template: d.eta, path: d }\n'), 'x').migrations?.alter.template).toBe('d.eta');
    expect(() => parseManifest(yaml('migrations:\n  create: { template: c.eta, path: c }\n'), 'x')).toThrow(/invalid at migrations.alter/);
    expect(() => parseManifest(yaml('migrations:\n  create: { template: a.eta, path: c }\n  alter: { template: d.eta, path: d }\n'), 'x')).toThrow(PackError);
  });

  describe('generated code', () => {
    let files: GeneratedFile[];
    let tsDir: string;
    let phpDir: string;
    beforeAll(async () => {
      const out = await render(history);
      files = filesOf(out, 'typescript-api');
      tsDir = writeProject('versions-ts', files, {
        'package.json': JSON.stringify({ type: 'module', private: true }),
        'tsconfig.json': JSON.stringify(STRICT_TSCONFIG),
      });
      phpDir = writeProject('versions-php', filesOf(out, 'laravel'));
    });
    afterAll(() => {
      removeProject(tsDir);
      removeProject(phpDir);
    });

    it.skipIf(!hasCommand('php', ['-v']))('Laravel migrations pass php -l — skipped when php is not installed', { timeout: 60_000 }, () => {
      for (const rel of ['database/migrations/2024_02_01_090000_update_products_table_v2.php', 'database/migrations/2024_02_01_090001_update_products_table_v3.php']) {
        const r = runCommand('php', ['-l', rel], phpDir);
        expect(r.output).toContain('No syntax errors detected');
        expect(r.status).toBe(0);
      }
    });

    it('the TypeScript project with its alter migrations type-checks under strict TypeScript', { timeout: 120_000 }, () => {
      const r = typecheck(tsDir);
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
    });

    it('migrates SQLite up through every version and back down, keeping the data of kept and renamed columns', async () => {
      const load = async (p: string) => (await import(path.join(tsDir, p))) as { up: (db: Kysely<any>) => Promise<void>; down: (db: Kysely<any>) => Promise<void> };
      const steps = await Promise.all(migrations(files).map((f) => load(f.path)));
      const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
      try {
        await sql`create table customers (id integer primary key)`.execute(db);
        await sql`insert into customers (id) values (1)`.execute(db);
        const [create, toV2, toV3] = steps as [(typeof steps)[0], (typeof steps)[0], (typeof steps)[0]];
        await create.up(db);
        await sql`insert into products (title, price, customer_id, due_on, status, note, stock) values ('a', 1, 1, '2024-01-01', 'live', 'kept', 5)`.execute(db);
        await db.transaction().execute((trx) => toV2.up(trx));
        await toV3.up(db);
        const row = (await sql<Record<string, unknown>>`select * from products`.execute(db)).rows[0]!;
        expect(row).toMatchObject({ id: 1, title: 'a', remark: 'kept', stock: '5', sku: '', size: 's', barcode: null, status: 'live' });
        expect(row).not.toHaveProperty('body');
        expect(row).not.toHaveProperty('note');
        await expect(sql`insert into products (title, price, customer_id, due_on, status, stock, sku, size) values ('b', 1, 1, '2024-01-01', 'live', '5', 'x', 'xl')`.execute(db)).rejects.toThrow(/CHECK constraint failed|UNIQUE constraint failed/);
        const index = await sql<{ name: string }>`select name from sqlite_master where type = 'index' and tbl_name = 'products' and name = 'products_customer_id_index'`.execute(db);
        expect(index.rows).toHaveLength(1);
        await toV3.down(db);
        await db.transaction().execute((trx) => toV2.down(trx));
        const back = (await sql<Record<string, unknown>>`select * from products`.execute(db)).rows[0]!;
        expect(back).toMatchObject({ id: 1, note: 'kept', body: null });
        expect(Number(back.stock)).toBe(5);
        expect(back).not.toHaveProperty('remark');
      } finally {
        await db.destroy();
      }
    });
  });
});
