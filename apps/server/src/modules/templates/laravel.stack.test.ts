import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedFile } from '@slipway/contracts';
import { hasCommand, removeProject, runCommand, writeFiles, writeProject } from './generated-project.ts';
import { hasDebianLaravel, laravelSkeleton } from './laravel-app.ts';
import { loadPack } from './pack-loader.ts';
import { renderPack } from './render.ts';
import { defineModule, everyFieldTypeModule } from './test-modules.ts';

/**
 * The laravel pack's output in a real Laravel (Debian's 8.83, the oldest version the pack supports):
 * two modules, one of them with every field type and relations to the other and to itself, migrated
 * by `php artisan migrate` and served by PHP's own server, then a CRUD round trip over HTTP; then
 * an update (fields added) rendered from the module's history, migrated again, and used.
 */

const hasPhp = hasCommand('php', ['-v']);
const hasPdoSqlite = hasPhp && runCommand('php', ['-m'], '/').output.split('\n').includes('pdo_sqlite');
const skipReason = !hasPhp
  ? 'php is not installed'
  : !hasDebianLaravel()
    ? 'php-laravel-framework is not installed'
    : !hasPdoSqlite
      ? 'php-sqlite3 is not installed'
      : '';
const title = skipReason ? `(skipped: ${skipReason}; scripts/system-deps.sh installs it)` : '';

const pack = await loadPack('laravel');
const customers = defineModule({
  name: 'Customers',
  applications: ['backend'],
  fields: [{ name: 'name', type: 'string', required: true }],
});
const products = everyFieldTypeModule();
/** The update: two fields added, one of them required with a default (existing rows take it). */
const productsV2 = everyFieldTypeModule({
  fields: [...products.fields, { name: 'color', type: 'string', required: true, default: 'red' }, { name: 'featured', type: 'boolean' }],
});
const CREATED = new Date('2024-01-15T10:30:00Z');
const UPDATED = new Date('2024-02-01T09:00:00Z');
/** Customers first: its migration's timestamp sorts before the products table that references it. */
const renderModules = (updated = false): GeneratedFile[] => [
  ...renderPack(pack, customers, { generatedAt: new Date('2024-01-15T10:00:00Z') }),
  ...(updated
    ? renderPack(pack, productsV2, { generatedAt: CREATED, versions: [{ module: products, savedAt: CREATED }, { module: productsV2, savedAt: UPDATED }] })
    : renderPack(pack, products, { generatedAt: CREATED })),
];

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

describe.skipIf(skipReason !== '')(`laravel pack on Laravel 8 ${title}`, () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let base: string;
  let serverLog = '';

  const api = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}/api${url}`, {
      method,
      headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as any) : undefined, text };
  };

  beforeAll(async () => {
    dir = writeProject('laravel-stack', renderModules(), laravelSkeleton());
    const migrate = runCommand('php', ['artisan', 'migrate', '--force', '--no-interaction'], dir);
    expect(migrate.output).toContain('Migrated:  2024_01_15_103000_create_products_table');
    expect(migrate.status, migrate.output).toBe(0);

    base = `http://127.0.0.1:${await freePort()}`;
    // OPcache would serve the model and controller from before the update for up to 2 s.
    const args = ['-d', 'opcache.revalidate_freq=0', '-S', base.slice('http://'.length), '-t', 'public', 'public/index.php'];
    server = spawn('php', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout?.on('data', (d: Buffer) => (serverLog += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (serverLog += d.toString()));
    for (let i = 0; ; i++) {
      try {
        await fetch(base);
        break;
      } catch (e) {
        if (i > 300) throw new Error(`php -S did not start: ${serverLog}`, { cause: e });
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }, 60_000);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill();
      await once(server, 'exit');
    }
    if (dir) removeProject(dir);
  });

  it('migrated the columns: NOT NULL where required, defaults (UTC date-time), foreign keys', () => {
    const db = new Database(path.join(dir, 'database/database.sqlite'), { readonly: true });
    try {
      const columns = db.prepare('pragma table_info(products)').all() as { name: string; notnull: number; dflt_value: string | null }[];
      const column = (name: string) => columns.find((c) => c.name === name);
      expect(column('title')?.notnull).toBe(1);
      expect(column('body')?.notnull).toBe(0);
      expect(column('published_at')?.dflt_value).toBe("'2024-01-15 08:30:00'");
      const keys = db.prepare('pragma foreign_key_list(products)').all() as { table: string; from: string }[];
      expect(keys.map((k) => `${k.from}->${k.table}`).sort()).toEqual(['customer_id->customers', 'parent_id->products']);
    } finally {
      db.close();
    }
  });

  it('runs a CRUD round trip with validation, casts, UTC date-times and referenced rows kept (409)', { timeout: 60_000 }, async () => {
    const customer = await api('POST', '/customers', { name: 'Ann' });
    expect(customer.status, customer.text).toBe(201);
    const customerId = customer.body.id as number;

    // Validation: missing required fields, a value outside the enum, a relation to nothing.
    const invalid = await api('POST', '/products', { title: '', status: 'gone', customer_id: 999 });
    expect(invalid.status, invalid.text).toBe(422);
    expect(Object.keys(invalid.body.errors).sort()).toEqual(['customer_id', 'due_on', 'price', 'status', 'title']);

    const input = {
      title: 'Lamp',
      body: 'A lamp.',
      stock: 3,
      price: 12.5,
      active: false,
      released_on: '2024-03-01',
      published_at: '2024-01-15T10:30:00+02:00',
      status: 'in review',
      customer_id: customerId,
      archived: true,
      due_on: '2024-04-30',
      kind: 'b',
    };
    const created = await api('POST', '/products', input);
    expect(created.status, created.text).toBe(201);
    // The casts: booleans as true/false (not 1/0 as when Laravel 8 ignores a casts() method), numbers as numbers.
    expect(created.body).toMatchObject({
      ...input,
      published_at: '2024-01-15T08:30:00.000Z',
      weight: 1.5,
      note: 'none',
      parent_id: null,
    });
    expect(created.body.active).toBe(false);
    expect(created.body.archived).toBe(true);
    const id = created.body.id as number;

    // The offset was applied and the instant stored as UTC.
    const db = new Database(path.join(dir, 'database/database.sqlite'), { readonly: true });
    try {
      expect(db.prepare('select published_at from products where id = ?').get(id)).toEqual({ published_at: '2024-01-15 08:30:00' });
    } finally {
      db.close();
    }

    // Defaults apply to what a create leaves out; unique values conflict as a validation error.
    const child = await api('POST', '/products', { title: 'Shade', price: 2, customer_id: customerId, due_on: '2024-05-01', parent_id: id });
    expect(child.status, child.text).toBe(201);
    expect(child.body).toMatchObject({ active: true, stock: 0, status: 'draft', published_at: '2024-01-15T08:30:00.000Z', archived: null });
    const duplicate = await api('POST', '/products', { ...input, title: 'Lamp' });
    expect(duplicate.status).toBe(422);
    expect(Object.keys(duplicate.body.errors)).toEqual(['title']);

    expect((await api('GET', `/products/${id}`)).body).toEqual(created.body);
    const list = await api('GET', '/products?limit=1');
    expect(list.body.map((p: { id: number }) => p.id)).toEqual([id]);

    // PATCH checks only what it sends; the row keeps its own unique title.
    const patched = await api('PATCH', `/products/${id}`, { title: 'Lamp', active: true, published_at: '2025-06-30T20:45:00-02:00' });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.body).toMatchObject({ title: 'Lamp', active: true, published_at: '2025-06-30T22:45:00.000Z', stock: 3 });
    expect((await api('PATCH', `/products/${id}`, { active: 'maybe' })).status).toBe(422);
    const put = await api('PUT', `/products/${id}`, { ...input, title: 'Lamp 2', price: 99.99 });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ title: 'Lamp 2', price: 99.99, active: false });

    // A row others reference is kept, with a message: the customer, then the parent product.
    const refusedCustomer = await api('DELETE', `/customers/${customerId}`);
    expect(refusedCustomer.status, refusedCustomer.text).toBe(409);
    expect(refusedCustomer.body.message).toMatch(/still referenced/);
    expect((await api('DELETE', `/products/${id}`)).status).toBe(409);
    expect((await api('GET', `/products/${id}`)).status).toBe(200);

    // Delete the referencing rows first, then the rest goes.
    expect((await api('DELETE', `/products/${child.body.id}`)).status).toBe(204);
    expect((await api('DELETE', `/products/${id}`)).status).toBe(204);
    expect((await api('GET', `/products/${id}`)).status).toBe(404);
    expect((await api('DELETE', `/customers/${customerId}`)).status).toBe(204);
    expect(serverLog).not.toMatch(/PHP (Fatal|Warning|Deprecated)/);
  });

  it('updates: two fields added, the create migration unchanged, migrate again, the new fields over HTTP', { timeout: 60_000 }, async () => {
    const customer = (await api('POST', '/customers', { name: 'Bo' })).body as { id: number };
    const before = await api('POST', '/products', { title: 'Old', price: 1, customer_id: customer.id, due_on: '2024-01-31' });
    expect(before.status, before.text).toBe(201);

    const first = renderModules();
    const updated = renderModules(true);
    const byPath = (files: GeneratedFile[]) => new Map(files.map((f) => [f.path, f.content]));
    const created = first.find((f) => f.path.endsWith('_create_products_table.php'));
    expect(byPath(updated).get(created?.path ?? '')).toBe(created?.content);
    const added = updated.filter((f) => !byPath(first).has(f.path)).map((f) => f.path);
    expect(added).toEqual([expect.stringMatching(/^database\/migrations\/2024_02_01_090000_\w+\.php$/)]);
    writeFiles(dir, updated);

    const migrate = runCommand('php', ['artisan', 'migrate', '--force', '--no-interaction'], dir);
    expect(migrate.status, migrate.output).toBe(0);
    expect(migrate.output).toContain(`Migrated:  ${path.basename(added[0] ?? '', '.php')}`);
    expect(migrate.output).not.toContain('create_products_table');

    // The row from before the update took the new column's default.
    expect((await api('GET', `/products/${before.body.id}`)).body).toMatchObject({ title: 'Old', color: 'red', featured: null });
    const input = { title: 'New', price: 2, customer_id: customer.id, due_on: '2024-02-02', color: 'blue', featured: true };
    const made = await api('POST', '/products', input);
    expect(made.status, made.text).toBe(201);
    expect(made.body).toMatchObject(input);
    expect((await api('PATCH', `/products/${made.body.id}`, { featured: false })).body.featured).toBe(false);
    expect((await api('POST', '/products', { ...input, title: 'Newer', color: 'x'.repeat(256) })).status).toBe(422);
    expect(serverLog).not.toMatch(/PHP (Fatal|Warning|Deprecated)/);
  });
});
