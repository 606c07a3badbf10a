import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedFile } from '@slipway/contracts';
import { removeProject, runVitest, STRICT_TSCONFIG, typecheck, writeProject } from './generated-project.ts';
import { loadPack } from './pack-loader.ts';
import { renderPack } from './render.ts';
import { defineModule, everyFieldTypeModule } from './test-modules.ts';

/**
 * The typescript-api pack's project after an update: a module with every field type gains two
 * fields. Its create migration stays as it was, an alter migration is added, the project still
 * type-checks, and its own generated suite (which runs every migration of its module) passes; the
 * alter migration also runs on a database that the first version already migrated and filled.
 */

const pack = await loadPack('typescript-api');
const customers = defineModule({ name: 'Customers', applications: ['backend'], fields: [{ name: 'name', type: 'string', required: true }] });
const products = everyFieldTypeModule();
const productsV2 = everyFieldTypeModule({
  fields: [...products.fields, { name: 'color', type: 'string', required: true, default: 'red' }, { name: 'featured', type: 'boolean' }],
});
const CREATED = new Date('2024-01-15T10:30:00Z');
const UPDATED = new Date('2024-02-01T09:00:00Z');

type Migration = { up: (db: Kysely<any>) => Promise<void> };

describe('typescript-api pack after an update (two fields added)', () => {
  let dir: string;
  let first: GeneratedFile[];
  let updated: GeneratedFile[];
  beforeAll(() => {
    first = renderPack(pack, products, { generatedAt: CREATED });
    updated = renderPack(pack, productsV2, {
      generatedAt: CREATED,
      versions: [
        { module: products, savedAt: CREATED },
        { module: productsV2, savedAt: UPDATED },
      ],
    });
    dir = writeProject('update-ts', [...renderPack(pack, customers, { generatedAt: new Date('2024-01-15T10:00:00Z') }), ...updated], {
      'package.json': JSON.stringify({ type: 'module', private: true }),
      'tsconfig.json': JSON.stringify(STRICT_TSCONFIG),
    });
  });
  afterAll(() => removeProject(dir));

  const migrationsOf = (files: GeneratedFile[]) => files.filter((f) => f.path.startsWith('src/db/migrations/'));

  it('keeps the create migration and adds one migration', () => {
    const [create] = migrationsOf(first);
    const after = migrationsOf(updated);
    expect(after).toHaveLength(2);
    expect(after[0]).toEqual(create);
    expect(after[1]?.path).toMatch(/^src\/db\/migrations\/20240201090000_\w+\.ts$/);
  });

  it('migrates a database the first version filled: its rows take the new default', async () => {
    const db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    try {
      await sql`create table customers (id integer primary key)`.execute(db);
      await sql`insert into customers (id) values (1)`.execute(db);
      const [create, alter] = migrationsOf(updated).map((f) => path.join(dir, f.path));
      await ((await import(create!)) as Migration).up(db);
      await sql`insert into products (title, price, customer_id, due_on) values ('Old', 1, 1, '2024-01-31')`.execute(db);
      await ((await import(alter!)) as Migration).up(db);
      const { rows } = await sql<{ title: string; color: string; featured: number | null }>`select title, color, featured from products`.execute(db);
      expect(rows).toEqual([{ title: 'Old', color: 'red', featured: null }]);
    } finally {
      await db.destroy();
    }
  });

  // Both run a child process on a busy two-core machine: allow them time.
  it('type-checks under strict TypeScript', { timeout: 120_000 }, () => {
    const r = typecheck(dir);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('passes its own test suite, migrated by its create and alter migrations', { timeout: 120_000 }, () => {
    const r = runVitest(dir);
    expect(r.status, r.output).toBe(0);
    expect(r.output).toMatch(/Tests\s+\d+ passed/);
  });
});
