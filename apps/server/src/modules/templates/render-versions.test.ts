import Database from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplicationFiles, GeneratedFile, ModuleDefinition } from '@slipway/contracts';
import { createPgDatabase } from '../../test-support/server.ts';
import { hasCommand, removeProject, runCommand, STRICT_TSCONFIG, typecheck, writeProject } from './generated-project.ts';
import { loadPack } from './pack-loader.ts';
import { parseManifest, PackError } from './pack-manifest.ts';
import { renderPackVersions, type ModuleVersion, type PackContents, type RenderOptions } from './render.ts';
import { renderPackIsolated } from './isolated-render.ts';
import { testSandbox } from '../../runner/test-sandbox.ts';
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
    // One Schema::table per statement: Laravel compiles a whole Blueprint before it runs any of it.
    expect(up).toContain("        Schema::table('products', function (Blueprint $table): void {\n            $table->renameColumn('note', 'remark');\n        });\n");
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
    expect(alter).toContain(
      "Schema::table('products', function (Blueprint $table) use ($sqlite): void {\n            if (! $sqlite) {\n                $table->dropForeign(['customer_id']);\n            }\n        });\n" +
        "        Schema::table('products', function (Blueprint $table): void {\n            $table->dropColumn('customer_id');\n        });",
    );
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

  it('gives a repository pack the same history, rendered in the sandbox: its own create and alter migrations', { timeout: 60_000 }, async () => {
    const files = {
      'pack.yaml': [
        'name: mine',
        'files:',
        '  - { template: model.eta, path: "model.txt" }',
        'migrations:',
        '  create: { template: create.eta, path: "migrations/<%= it.generatedAt.compact %>_create.sql" }',
        '  alter: { template: alter.eta, path: "migrations/<%= it.generatedAt.compact %>_v<%= it.version %>.sql" }',
        '',
      ].join('\n'),
      'model.eta': '<%= it.fields.map((f) => f.name).join(",") %>\n',
      'create.eta': 'create table <%= it.names.table %> (<%= it.fields.map((f) => f.name).join(", ") %>);\n',
      'alter.eta': '<% for (const c of it.changes) { %><%= c.kind %> <%= c.from ? c.from + " > " : "" %><%= c.name %>;\n<% } %>',
    };
    const pack: PackContents = { name: 'mine', origin: 'repository', files };
    const sandbox = testSandbox([]);
    expect(await sandbox.check()).toEqual({ ok: true });
    const load = async () => ({ ...pack, renderer: (p: PackContents, m: ModuleDefinition, o: RenderOptions) => renderPackIsolated(sandbox, p, m, o) });
    const out = await renderVersions(history.slice(0, 3), [{ id: 'backend', pack: 'mine' }], load);
    expect(out[0]!.files.map((f) => [f.path, f.content])).toEqual([
      ['model.txt', `${v3.fields.map((f) => f.name).join(',')}\n`],
      ['migrations/20240115103000_create.sql', `create table products (${v1.fields.map((f) => f.name).join(', ')});\n`],
      ['migrations/20240201090000_v2.sql', 'rename note > remark;\nretype stock;\ndrop body;\nadd sku;\nadd size;\n'],
      ['migrations/20240201090001_v3.sql', 'add barcode;\n'],
    ]);
    // The same as in process, for a built-in pack.
    expect(out[0]!.files).toEqual(renderPackVersions({ ...pack, origin: 'built-in' }, history.slice(0, 3)));
  });

  it('needs a migrations section with both templates, never also listed in files', () => {
    const yaml = (extra: string) => `name: x\nfiles:\n  - template: a.eta\n    path: a\n${extra}`;
    expect(parseManifest(yaml('migrations:\n  create: { template: c.eta, path: c }\n  alter: { template: d.eta, path: d }\n'), 'x').migrations?.alter.template).toBe('d.eta');
    expect(() => parseManifest(yaml('migrations:\n  create: { template: c.eta, path: c }\n'), 'x')).toThrow(/invalid at migrations.alter/);
    expect(() => parseManifest(yaml('migrations:\n  create: { template: a.eta, path: c }\n  alter: { template: d.eta, path: d }\n'), 'x')).toThrow(PackError);
  });

  // Renames and changes of columns that carry constraints: unique, enum check, foreign key and index.
  const c2 = next(v1, (fields) =>
    fields
      .filter((f) => f.name !== 'parent_id')
      .map((f) =>
        f.name === 'status' ? { ...f, name: 'state', renamedFrom: 'status' }
        : f.name === 'title' ? { ...f, name: 'name', renamedFrom: 'title' }
        : f.name === 'customer_id' ? { ...f, name: 'client_id', renamedFrom: 'customer_id' }
        : f.name === 'kind' ? { ...f, options: ['a', 'b', 'c'] }
        : f),
  );
  const c3 = next(c2, (fields) =>
    fields
      .filter((f) => f.name !== 'state')
      .map(({ renamedFrom: _r, ...f }) => (f.name === 'name' ? { ...f, unique: false } : f.name === 'client_id' ? { name: 'client_id', type: 'integer', required: true } : f)),
  );
  const constrained: ModuleVersion[] = [
    { module: v1, savedAt: GENERATED_AT },
    { module: c2, savedAt: at('2024-02-01T09:00:00Z') },
    { module: c3, savedAt: at('2024-02-02T09:00:00Z') },
  ];

  describe('generated code', () => {
    let files: GeneratedFile[];
    let tsDir: string;
    let phpDir: string;
    let constrainedFiles: GeneratedFile[];
    let constrainedDir: string;
    beforeAll(async () => {
      const out = await render(history);
      constrainedFiles = filesOf(await render(constrained), 'typescript-api');
      constrainedDir = writeProject('versions-ts-constrained', constrainedFiles, { 'package.json': JSON.stringify({ type: 'module', private: true }) });
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
      removeProject(constrainedDir);
    });

    it.skipIf(!hasCommand('php', ['-v']))('Laravel migrations pass php -l — skipped when php is not installed', { timeout: 60_000 }, async () => {
      for (const rel of ['database/migrations/2024_02_01_090000_update_products_table_v2.php', 'database/migrations/2024_02_01_090001_update_products_table_v3.php']) {
        const r = runCommand('php', ['-l', rel], phpDir);
        expect(r.output).toContain('No syntax errors detected');
        expect(r.status).toBe(0);
      }
      // Renames and retypes of columns with a unique index, an enum and a foreign key.
      const alters = migrations(filesOf(await render(constrained), 'laravel')).slice(1);
      expect(alters).toHaveLength(2);
      const steps = ["$table->dropUnique(['title']);", "$table->renameColumn('title', 'name');", "$table->unique('name');"].map((l) => alters[0]!.content.indexOf(l));
      expect(steps.every((at, i) => at > 0 && (i === 0 || at > steps[i - 1]!))).toBe(true);
      expect(alters[1]!.content).toContain("$table->dropUnique(['name']);");
      const dir = writeProject('versions-php-constrained', alters);
      try {
        for (const f of alters) {
          const r = runCommand('php', ['-l', f.path], dir);
          expect(r.output).toContain('No syntax errors detected');
        }
      } finally {
        removeProject(dir);
      }
    });

    it('the TypeScript project with its alter migrations type-checks under strict TypeScript', { timeout: 120_000 }, () => {
      const r = typecheck(tsDir);
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
    });

    it.each(['sqlite', 'postgres'] as const)('migrates %s up through every version and back down, keeping the data of kept and renamed columns', async (dialect) => {
      const load = async (p: string) => (await import(path.join(tsDir, p))) as { up: (db: Kysely<any>) => Promise<void>; down: (db: Kysely<any>) => Promise<void> };
      const steps = await Promise.all(migrations(files).map((f) => load(f.path)));
      const pgDb = dialect === 'postgres' ? await createPgDatabase() : undefined;
      const db = new Kysely<any>({
        dialect: pgDb ? new PostgresDialect({ pool: new pg.Pool({ connectionString: pgDb.url, max: 2 }) }) : new SqliteDialect({ database: new Database(':memory:') }),
      });
      // Each in a transaction, as Kysely's Migrator runs them.
      const run = (step: (db: Kysely<any>) => Promise<void>) => db.transaction().execute((trx) => step(trx));
      try {
        await sql`create table customers (id integer primary key)`.execute(db);
        await sql`insert into customers (id) values (1)`.execute(db);
        const [create, toV2, toV3] = steps as [(typeof steps)[0], (typeof steps)[0], (typeof steps)[0]];
        await run(create.up);
        await sql`insert into products (title, price, customer_id, due_on, status, note, stock) values ('a', 1, 1, '2024-01-01', 'live', 'kept', 5)`.execute(db);
        await run(toV2.up);
        await run(toV3.up);
        const row = (await sql<Record<string, unknown>>`select * from products`.execute(db)).rows[0]!;
        expect(row).toMatchObject({ id: 1, title: 'a', remark: 'kept', stock: '5', sku: '', size: 's', barcode: null, status: 'live' });
        expect(row).not.toHaveProperty('body');
        expect(row).not.toHaveProperty('note');
        // The new enum is checked, the retyped stock is unique now.
        const insert = (size: string, stock: string) =>
          sql`insert into products (title, price, customer_id, due_on, status, stock, sku, size) values (${`t-${size}-${stock}`}, 1, 1, '2024-01-01', 'live', ${stock}, 'x', ${size})`.execute(db);
        await expect(insert('xl', '6')).rejects.toThrow(/CHECK constraint failed|violates check constraint/);
        await expect(insert('m', '5')).rejects.toThrow(/UNIQUE constraint failed|duplicate key/);
        const index = pgDb
          ? await sql`select indexname from pg_indexes where tablename = 'products' and indexname = 'products_customer_id_index'`.execute(db)
          : await sql`select name from sqlite_master where type = 'index' and tbl_name = 'products' and name = 'products_customer_id_index'`.execute(db);
        expect(index.rows).toHaveLength(1);
        await run(toV3.down);
        await run(toV2.down);
        const back = (await sql<Record<string, unknown>>`select * from products`.execute(db)).rows[0]!;
        expect(back).toMatchObject({ id: 1, note: 'kept', body: null });
        expect(Number(back.stock)).toBe(5);
        expect(back).not.toHaveProperty('remark');
        expect(back).not.toHaveProperty('size');
      } finally {
        await db.destroy();
        await pgDb?.drop();
      }
    });

    it.each(['sqlite', 'postgres'] as const)('on %s, renames and drops columns that carry a unique key, an enum check, a foreign key and an index, and back', async (dialect) => {
      const load = async (p: string) => (await import(path.join(constrainedDir, p))) as { up: (db: Kysely<any>) => Promise<void>; down: (db: Kysely<any>) => Promise<void> };
      const [create, toC2, toC3] = (await Promise.all(migrations(constrainedFiles).map((f) => load(f.path)))) as [Awaited<ReturnType<typeof load>>, Awaited<ReturnType<typeof load>>, Awaited<ReturnType<typeof load>>];
      const pgDb = dialect === 'postgres' ? await createPgDatabase() : undefined;
      const db = new Kysely<any>({
        dialect: pgDb ? new PostgresDialect({ pool: new pg.Pool({ connectionString: pgDb.url, max: 2 }) }) : new SqliteDialect({ database: new Database(':memory:') }),
      });
      const run = (step: (db: Kysely<any>) => Promise<void>) => db.transaction().execute((trx) => step(trx));
      try {
        await sql`create table customers (id integer primary key)`.execute(db);
        await sql`insert into customers (id) values (1), (2)`.execute(db);
        await run(create.up);
        await sql`insert into products (title, price, customer_id, due_on, status, kind) values ('a', 1, 1, '2024-01-01', 'live', 'a')`.execute(db);
        await run(toC2.up);
        expect((await sql`select name, state, client_id, kind from products`.execute(db)).rows).toEqual([{ name: 'a', state: 'live', client_id: 1, kind: 'a' }]);
        // The renamed unique key and check still hold; the new option is allowed; the foreign key holds.
        const add = (name: string, state: string, client: number, kind = 'b') =>
          sql`insert into products (name, price, client_id, due_on, state, kind) values (${name}, 1, ${client}, '2024-01-01', ${state}, ${kind})`.execute(db);
        await expect(add('a', 'live', 1)).rejects.toThrow(/UNIQUE|duplicate key/);
        await expect(add('b', 'gone', 1)).rejects.toThrow(/CHECK|check constraint/);
        await expect(add('b', 'live', 1, 'z')).rejects.toThrow(/CHECK|check constraint/);
        if (pgDb) await expect(add('b', 'live', 9)).rejects.toThrow(/foreign key/);
        await add('c', 'live', 2, 'c');
        await sql`delete from products where name = 'c'`.execute(db);
        await add('b', 'live', 2);
        await run(toC3.up);
        // state is gone; name is no longer unique; client_id is a plain integer now.
        await sql`insert into products (name, price, client_id, due_on, kind) values ('a', 1, 9, '2024-01-01', 'a')`.execute(db);
        expect((await sql`select count(*) as n from products`.execute(db)).rows).toEqual([{ n: pgDb ? '3' : 3 }]);
        await sql`delete from products where client_id = 9`.execute(db);
        await run(toC3.down);
        await run(toC2.down);
        const back = (await sql<Record<string, unknown>>`select title, status, customer_id, parent_id, kind from products order by id`.execute(db)).rows;
        // state was dropped by c3: undone, the column comes back with its default, its data lost.
        expect(back).toEqual([
          { title: 'a', status: 'draft', customer_id: 1, parent_id: null, kind: 'a' },
          { title: 'b', status: 'draft', customer_id: 2, parent_id: null, kind: 'b' },
        ]);
      } finally {
        await db.destroy();
        await pgDb?.drop();
      }
    });
  });
});
