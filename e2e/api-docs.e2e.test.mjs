// The API reference page (/api/docs, @fastify/swagger-ui) in a real browser: it renders the
// OpenAPI document from this server, offline, without breaking the app's Content-Security-Policy.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchBrowser } from './support/browser.mjs';
import { startSlipway } from './support/slipway.mjs';

let server = null;
let browser = null;
before(async () => {
  server = await startSlipway({ env: { SLIPWAY_DEMO: 'false', SLIPWAY_RUNNER: 'false' } });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the API reference page shows the document under the CSP, loading nothing from elsewhere', async () => {
  const page = await browser.newPage();
  const problems = [];
  const elsewhere = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) elsewhere.push(r.url());
  });
  await page.goto(`${server.url}/api/docs`);
  await page.locator('.swagger-ui .info .title').filter({ hasText: 'Slipway' }).waitFor({ timeout: 30_000 });
  // An operation of each contract the document must carry.
  await page.getByText('/api/webhooks/dokploy/deployment', { exact: true }).first().waitFor();
  await page.getByText('/broadcasting/auth', { exact: true }).first().waitFor();
  assert.deepEqual(problems.filter((p) => /Content Security Policy|Refused/i.test(p)), []);
  assert.deepEqual(elsewhere, []);
  await page.close();
});
