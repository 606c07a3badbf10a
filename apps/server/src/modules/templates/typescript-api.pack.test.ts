import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FieldType, GeneratedFile } from '@slipway/contracts';
import { removeProject, runVitest, STRICT_TSCONFIG, typecheck, writeProject } from './generated-project.ts';
import { loadPack } from './pack-loader.ts';
import { renderPack } from './render.ts';
import { defineModule, everyFieldTypeModule, GENERATED_AT, type ModuleFieldInput } from './test-modules.ts';

const pack = await loadPack('typescript-api');
const render = (m = everyFieldTypeModule()) => renderPack(pack, m, { generatedAt: GENERATED_AT });
const file = (files: GeneratedFile[], suffix: string) => {
  const f = files.find((x) => x.path.endsWith(suffix));
  if (!f) throw new Error(`no ${suffix} in ${files.map((x) => x.path).join(', ')}`);
  return f.content;
};

describe('typescript-api pack', () => {
  it('writes table, schema, repository, routes, test and a timestamped migration', () => {
    expect(render().map((f) => f.path)).toEqual([
      'src/modules/products/products.table.ts',
      'src/modules/products/products.schema.ts',
      'src/modules/products/products.repository.ts',
      'src/modules/products/products.routes.ts',
      'src/modules/products/products.routes.test.ts',
      'src/db/migrations/20240115103000_create_products.ts',
    ]);
  });

  // One row per field type: the migration column, the API type and the input validation.
  it.each([
    ['string', { required: true }, "addColumn('f', 'varchar(255)', (col) => col.notNull())", 'f: string;', 'f: z.string().min(1).max(255),'],
    ['text', {}, "addColumn('f', 'text')", 'f: string | null;', 'f: z.string().nullable().optional(),'],
    ['integer', { default: 3 }, "addColumn('f', 'integer', (col) => col.defaultTo(3))", 'f: number | null;', 'f: z.number().int().min(-2147483648).max(2147483647).nullable().optional(),'],
    ['decimal', { required: true }, "addColumn('f', 'numeric(12, 2)', (col) => col.notNull())", 'f: number;', 'f: z.number().gt(-10000000000).lt(10000000000),'],
    ['boolean', { required: true, default: false }, "addColumn('f', 'boolean', (col) => col.notNull().defaultTo(false))", 'f: boolean;', 'f: z.boolean().optional(),'],
    ['date', { unique: true }, "addColumn('f', 'date', (col) => col.unique())", 'f: string | null;', 'f: z.iso.date().nullable().optional(),'],
    ['datetime', { required: true }, "addColumn('f', 'timestamptz', (col) => col.notNull())", 'f: string;', 'f: z.iso.datetime({ offset: true }),'],
    ['enum', { required: true, options: ['s', 'm'] }, "addColumn('f', 'varchar(64)', (col) => col.notNull())", "f: 's' | 'm';", "f: z.enum(['s', 'm']),"],
    ['relation', { relation: 'customers' }, "addColumn('f', 'integer', (col) => col.references('customers.id'))", 'f: number | null;', 'f: z.number().int().positive().nullable().optional(),'],
  ] satisfies [FieldType, Partial<ModuleFieldInput>, string, string, string][])('renders a %s field', (type, extra, column, apiType, validation) => {
    const files = render(defineModule({ name: 'Items', applications: ['backend'], fields: [{ name: 'f', type, ...extra }] }));
    expect(file(files, '_create_items.ts')).toContain(column);
    expect(file(files, 'items.table.ts')).toContain(`  ${apiType}`);
    expect(file(files, 'items.schema.ts')).toContain(`  ${validation}`);
  });

  it('constrains enum values in the database and indexes relations', () => {
    const migration = file(render(), '_create_products.ts');
    expect(migration).toContain("sql.join(['draft', 'live', 'in review'].map((o) => sql.lit(o)))");
    expect(migration).toContain("createIndex('products_customer_id_index').on('products').column('customer_id')");
  });

  it('keeps the description from ending the doc comment', () => {
    expect(file(render(), 'products.table.ts')).toContain('Things we sell. * / Not a comment end');
  });

  describe('generated project', () => {
    let dir: string;
    beforeAll(() => {
      const m = everyFieldTypeModule();
      const other = defineModule({ name: 'Order Items', applications: ['backend'], fields: [{ name: 'quantity', type: 'integer', required: true }] });
      // Uncountable name, all fields optional, field names that are keywords in JS or SQL.
      const data = defineModule({
        name: 'Data',
        applications: ['backend'],
        fields: [
          { name: 'class', type: 'enum', options: ['x', 'y'] },
          { name: 'default', type: 'boolean' },
          { name: 'order', type: 'relation', relation: 'order-items' },
        ],
      });
      dir = writeProject('typecheck-ts', [...render(m), ...render(other), ...render(data)], {
        'package.json': JSON.stringify({ type: 'module', private: true }),
        'tsconfig.json': JSON.stringify(STRICT_TSCONFIG),
      });
    });
    afterAll(() => removeProject(dir));

    it('migrates: required columns NOT NULL, unique ones indexed, defaults set, enum values checked', async () => {
      const migration = render().find((f) => f.path.includes('/migrations/'))!;
      const { up } = (await import(path.join(dir, migration.path))) as { up: (db: Kysely<any>) => Promise<void> };
      const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
      try {
        await sql`create table customers (id integer primary key)`.execute(db);
        await sql`insert into customers (id) values (1)`.execute(db);
        await up(db);
        const { rows } = await sql<{ name: string; notnull: number; dflt_value: string | null }>`pragma table_info(products)`.execute(db);
        const column = (name: string) => rows.find((r) => r.name === name);
        expect(column('title')?.notnull).toBe(1);
        expect(column('body')?.notnull).toBe(0);
        expect(column('stock')).toMatchObject({ notnull: 1, dflt_value: '0' });
        expect(column('published_at')?.dflt_value).toBe("'2024-01-15T08:30:00.000Z'");
        const indexes = await sql<{ unique: number; origin: string }>`pragma index_list(products)`.execute(db);
        expect(indexes.rows.filter((i) => i.unique === 1 && i.origin === 'u')).toHaveLength(1);
        const insert = (status: string) =>
          sql`insert into products (title, price, customer_id, due_on, status) values (${status}, 1, 1, '2024-01-01', ${status})`.execute(db);
        await expect(insert('live')).resolves.toBeDefined();
        await expect(insert('gone')).rejects.toThrow(/CHECK constraint failed/);
      } finally {
        await db.destroy();
      }
    });

    // Both run a child process on a busy two-core machine: allow them time.
    it('type-checks under strict TypeScript with fastify, kysely and zod', { timeout: 120_000 }, () => {
      const r = typecheck(dir);
      expect(r.output).toBe('');
      expect(r.status).toBe(0);
    });

    it('passes its own test suite: CRUD, validation, defaults and unique conflicts over SQLite', { timeout: 120_000 }, () => {
      const r = runVitest(dir);
      expect(r.status, r.output).toBe(0);
      expect(r.output).toMatch(/Tests\s+\d+ passed/);
    });
  });
});
