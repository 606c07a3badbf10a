import fastifyStatic from '@fastify/static';
import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { Kysely, SqliteDialect } from 'kysely';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GeneratedFile, ModuleDefinition } from '@slipway/contracts';
import { angularShell } from './angular-app.ts';
import { removeProject, runCommand, writeProject } from './generated-project.ts';
import { loadPack } from './pack-loader.ts';
import { renderPack } from './render.ts';
import { defineModule, everyFieldTypeModule } from './test-modules.ts';

/**
 * The angular pack's pages in a real browser against the typescript-api pack's API, both generated
 * from the same module (every field type, relations to a second module and to itself): the pages
 * are built by `ng build` in a minimal Angular CLI app, and served with the generated routes by one
 * Fastify server on SQLite. Chromium (Debian's, via playwright-core) lists, creates, edits and
 * deletes a row.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skipReason = existsSync(CHROMIUM) ? '' : `no Chromium at ${CHROMIUM} (apt-get install chromium)`;

const customers = defineModule({ name: 'Customers', applications: ['backend'], fields: [{ name: 'name', type: 'string', required: true }] });
const products = everyFieldTypeModule();
const at = (iso: string) => ({ generatedAt: new Date(iso) });

describe.skipIf(skipReason !== '')(`angular pack in Chromium against the typescript-api pack ${skipReason ? `(skipped: ${skipReason})` : ''}`, () => {
  let apiDir: string;
  let webDir: string;
  let app: FastifyInstance;
  let db: Kysely<any>;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    const [api, web] = await Promise.all([loadPack('typescript-api'), loadPack('angular')]);
    const apiFiles: GeneratedFile[] = [
      ...renderPack(api, customers, at('2024-01-15T10:00:00Z')),
      ...renderPack(api, products, at('2024-01-15T10:30:00Z')),
    ];
    apiDir = writeProject('ng-stack-api', apiFiles, { 'package.json': JSON.stringify({ type: 'module', private: true }) });
    webDir = writeProject('ng-stack-web', renderPack(web, products, at('2024-01-15T10:30:00Z')), angularShell([products.slug]));

    // The production builder of the repository's Angular, as `ng build` runs it in any CLI project.
    const ng = path.join(path.dirname(createRequire(import.meta.url).resolve('@angular/cli/package.json')), 'bin/ng.js');
    const build = runCommand(process.execPath, [ng, 'build'], webDir, 180_000);
    expect(build.output).toContain('Application bundle generation complete');
    expect(build.status, build.output).toBe(0);

    db = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(':memory:') }) });
    for (const f of apiFiles.filter((x) => x.path.includes('/migrations/'))) {
      const { up } = (await import(path.join(apiDir, f.path))) as { up: (db: Kysely<any>) => Promise<void> };
      await up(db);
    }
    const routes = async (m: ModuleDefinition, name: string) => {
      const route = m.slug;
      const mod = (await import(path.join(apiDir, `src/modules/${route}/${route}.routes.ts`))) as Record<string, FastifyPluginAsync<{ db: Kysely<any> }>>;
      const plugin = mod[name];
      if (!plugin) throw new Error(`no ${name} in the generated ${route}.routes.ts`);
      return plugin;
    };
    app = Fastify();
    await app.register(await routes(customers, 'customersRoutes'), { prefix: '/api/customers', db });
    await app.register(await routes(products, 'productsRoutes'), { prefix: '/api/products', db });
    const browserDir = path.join(webDir, 'dist/browser');
    await app.register(fastifyStatic, { root: browserDir, wildcard: false });
    const index = readFileSync(path.join(browserDir, 'index.html'), 'utf8');
    // The single-page app's own routes (/products/new, /products/1) get its page.
    app.setNotFoundHandler((request, reply) =>
      request.method === 'GET' && !request.url.startsWith('/api/') ? reply.type('text/html').send(index) : reply.code(404).send({ error: 'not found' }),
    );
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    const customer = await app.inject({ method: 'POST', url: '/api/customers', payload: { name: 'Ann' } });
    expect(customer.statusCode, customer.body).toBe(201);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await db?.destroy();
    if (apiDir) removeProject(apiDir);
    if (webDir) removeProject(webDir);
  });

  const rows = async () => (await app.inject({ method: 'GET', url: '/api/products' })).json<Record<string, unknown>[]>();

  it('lists, creates, edits and deletes a row through the generated pages', { timeout: 60_000 }, async () => {
    // A zone east of UTC: the datetime-local input shows local time, the API gets UTC.
    const context = await browser.newContext({ timezoneId: 'Europe/Paris', locale: 'en-GB' });
    const page: Page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    try {
      await page.goto(`${base}/products`);
      await page.getByRole('heading', { name: 'Products' }).waitFor();
      await page.getByText('Nothing yet.').waitFor();

      // Create: the form starts with the fields' defaults; fill the rest.
      await page.getByRole('link', { name: 'New' }).click();
      await page.getByRole('heading', { name: 'New · Products' }).waitFor();
      expect(await page.locator('#product-stock').inputValue()).toBe('0');
      expect(await page.locator('#product-active').isChecked()).toBe(true);
      expect(await page.locator('#product-published-at').inputValue()).toBe('2024-01-15T09:30'); // 08:30 UTC in Paris
      await page.locator('#product-title').fill('Lamp');
      await page.locator('#product-body').fill('A lamp.');
      await page.locator('#product-price').fill('12.5');
      await page.locator('#product-active').uncheck();
      await page.locator('#product-released-on').fill('2024-03-01');
      await page.locator('#product-published-at').fill('2024-06-01T14:15');
      await page.locator('#product-status').selectOption({ label: 'in review' });
      await page.locator('#product-customer-id').fill('1');
      await page.locator('#product-archived').check();
      await page.locator('#product-due-on').fill('2024-04-30');
      await page.locator('#product-kind').selectOption({ label: 'b' });
      await page.getByRole('button', { name: 'Save' }).click();

      // Back on the list, which shows the new row.
      await page.waitForURL(`${base}/products`);
      const row = page.getByRole('row', { name: /Lamp/ });
      await row.waitFor();
      await expect.poll(() => row.locator('td').allTextContents()).toEqual(
        expect.arrayContaining(['Lamp', 'A lamp.', '0', '12.5', 'No', '2024-03-01', '2024-06-01T12:15:00.000Z', 'in review', '1', 'Yes', '2024-04-30', 'b']),
      );
      const [created] = await rows();
      expect(created).toMatchObject({
        title: 'Lamp', body: 'A lamp.', stock: 0, price: 12.5, active: false, released_on: '2024-03-01',
        published_at: '2024-06-01T12:15:00.000Z', status: 'in review', customer_id: 1, parent_id: null,
        weight: 1.5, note: 'none', archived: true, due_on: '2024-04-30', kind: 'b',
      });

      // Edit: the form loads the row, a change is saved.
      await row.getByRole('link', { name: 'Edit' }).click();
      await page.getByRole('heading', { name: 'Edit · Products' }).waitFor();
      await expect.poll(() => page.locator('#product-title').inputValue()).toBe('Lamp');
      expect(await page.locator('#product-published-at').inputValue()).toBe('2024-06-01T14:15');
      expect(await page.locator('#product-active').isChecked()).toBe(false);
      await page.locator('#product-title').fill('Desk lamp');
      await page.locator('#product-stock').fill('7');
      await page.locator('#product-active').check();
      await page.getByRole('button', { name: 'Save' }).click();
      await page.waitForURL(`${base}/products`);
      await page.getByRole('row', { name: /Desk lamp/ }).waitFor();
      expect((await rows())[0]).toMatchObject({ id: created?.id, title: 'Desk lamp', stock: 7, active: true, published_at: '2024-06-01T12:15:00.000Z' });

      // Delete.
      await page.getByRole('row', { name: /Desk lamp/ }).getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('row', { name: /Desk lamp/ }).waitFor({ state: 'detached' });
      expect(await rows()).toEqual([]);
      await page.reload();
      await page.getByText('Nothing yet.').waitFor();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
