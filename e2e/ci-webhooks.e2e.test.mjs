// The web app driven by CI's signed webhooks, exactly as GitHub Actions sends them (the local
// runner and the demo apps are off): two bare git repositories as the remotes, `slipway start`,
// Chromium. Covers what a local run cannot time: a reload in the middle of a stage, late and
// repeated reports, the notification of a deployment that ends while its dialog is closed. Saves
// the dialog at each stage: e2e/screenshots/deployment-{pending,building,deploying,success,failed}.png.
// Run: node e2e/run.mjs
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { SHOTS, dialog, e2e, fillModule, launchBrowser, shot, signedInPage as signIn, statusOf, waitStatus } from './support/browser.mjs';
import { branchCommit, createRemotes, liveModuleServer, sendWebhook } from './support/fixtures.mjs';
import { WEB_ROOT, startSlipway } from './support/slipway.mjs';

let work, remotes, server, base, live, browser;

before(async () => {
  assert.ok(existsSync(join(WEB_ROOT, 'index.html')), `no web build in ${WEB_ROOT}: run node e2e/run.mjs (or npm run build)`);
  work = mkdtempSync(join(tmpdir(), 'slipway-e2e-git-'));
  remotes = createRemotes(work, ['backend', 'frontend']);
  const config = join(work, 'slipway.json');
  writeFileSync(
    config,
    JSON.stringify({
      applications: [
        { id: 'backend', name: 'Backend API', repoUrl: remotes.backend, baseBranch: 'main', templatePack: 'typescript-api' },
        { id: 'frontend', name: 'Frontend', repoUrl: remotes.frontend, baseBranch: 'main', templatePack: 'angular' },
      ],
    }),
  );
  server = await startSlipway({
    env: { SLIPWAY_CONFIG: config, SLIPWAY_DEMO: 'false', SLIPWAY_RUNNER: 'false' },
    ...(process.env.SLIPWAY_E2E_SERVER_DIR ? { serverDir: process.env.SLIPWAY_E2E_SERVER_DIR } : {}),
  });
  base = server.url;
  live = await liveModuleServer();
  browser = await launchBrowser();
});

const signedInPage = (viewport) => signIn(browser, base, server.admin, viewport);

after(async () => {
  await browser?.close();
  await live?.close();
  if (server && process.exitCode) console.log(server.output().slice(-4000));
  await server?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Create answers before the pushes (issue 12, item 3): waits for the dialog's live log to show each one. */
async function pushed(page, branch, apps) {
  for (const app of apps) {
    await dialog(page).getByTestId('deployment-log').filter({ hasText: `Pushed ${branch} to ${app} at ` }).waitFor({ timeout: 60_000 });
  }
}

e2e('create a module and watch it go live: pending → building → deploying → success, across a reload', async () => {
  const page = await signedInPage();
  await fillModule(page, { name: 'Products', fields: [{ name: 'title', type: 'string' }, { name: 'price', type: 'decimal' }], apps: ['backend', 'frontend'] });
  assert.equal(await page.getByTestId('branch-name').innerText(), 'module/products');

  await page.getByTestId('preview').click();
  await page.getByTestId('preview-files').waitFor();
  assert.match(await page.getByTestId('preview-files').innerText(), /products/);
  await page.evaluate(() => window.scrollTo(0, 0)); // a full-page shot of a scrolled page repeats the sticky toolbar
  await page.screenshot({ path: join(SHOTS, 'module-form.png'), fullPage: true });

  await page.getByTestId('submit').click();
  await dialog(page).waitFor({ timeout: 90_000 });
  await waitStatus(page, 'pending');
  const id = new URL(page.url()).searchParams.get('deployment');
  assert.match(id ?? '', /^\d+$/, 'the dialog is named in the URL');
  assert.equal(await dialog(page).getByTestId('deployment-branch').innerText(), 'module/products');
  await shot(page, 'deployment-pending.png');

  // The dialog opened before the publish: it shows the publish live, per application.
  await pushed(page, 'module/products', ['backend', 'frontend']);
  // The branch really is on both remotes; CI reports on that commit.
  const commits = { backend: branchCommit(remotes.backend, 'module/products'), frontend: branchCommit(remotes.frontend, 'module/products') };
  assert.ok(commits.backend && commits.frontend, 'module/products pushed to both remotes');
  const ci = (app, extra) =>
    sendWebhook(server.url, server.secret, {
      deploymentId: `e2e-${app}-1`,
      applicationId: app,
      branch: 'module/products',
      commit: commits[app],
      moduleName: 'products',
      runUrl: `https://github.com/example/${app}/actions/runs/1`,
      ...extra,
    });

  await ci('backend', { status: 'running', message: 'Building image', logs: ['Run docker/build-push-action', '#1 building backend image'] });
  await ci('frontend', { status: 'running', message: 'Building image', logs: ['#1 building frontend image'] });
  await waitStatus(page, 'building');
  await dialog(page).getByTestId('deployment-log').getByText('#1 building frontend image').waitFor();
  await shot(page, 'deployment-building.png');

  // A reload mid-deployment comes back to the same dialog, in the same state, with its log.
  await page.reload();
  await dialog(page).waitFor();
  await waitStatus(page, 'building');
  await dialog(page).getByTestId('deployment-log').getByText('#1 building backend image').waitFor();
  await page.locator('[data-testid=connection-state][data-state=connected]').waitFor();

  await ci('backend', { status: 'running', stage: 'deploy', message: 'Deploying on Dokploy', logs: ['Pushed ghcr.io/example/backend:module-products', 'Dokploy webhook answered 200'] });
  await ci('frontend', { status: 'running', stage: 'deploy', message: 'Deploying on Dokploy', logs: ['Pushed ghcr.io/example/frontend:module-products'] });
  await waitStatus(page, 'deploying');
  await shot(page, 'deployment-deploying.png');

  // Late news from an earlier stage changes nothing.
  await ci('backend', { status: 'running', message: 'late duplicate', logs: [] });
  assert.equal(await statusOf(page), 'deploying');

  await ci('backend', { status: 'done', message: 'Deployed', url: `${live.url}/api/products`, logs: ['backend healthy'] });
  await ci('frontend', { status: 'done', message: 'Deployed', logs: ['frontend healthy'] });
  await waitStatus(page, 'success');
  assert.equal(await dialog(page).getByTestId('deployment-message').innerText(), "Module 'products' deployed successfully! 🎉");
  const log = await dialog(page).getByTestId('deployment-log').innerText();
  for (const line of ['#1 building backend image', 'Dokploy webhook answered 200', 'frontend healthy']) assert.ok(log.includes(line), `log has ${line}`);
  await shot(page, 'deployment-success.png');

  // The live module URL opens.
  const [popup] = await Promise.all([page.context().waitForEvent('page'), dialog(page).getByTestId('live-url').click()]);
  await popup.waitForLoadState();
  assert.match(await popup.content(), /First product/);
  await popup.close();

  // Keyboard: Escape closes; the module list shows the outcome.
  await page.keyboard.press('Escape');
  await dialog(page).waitFor({ state: 'detached' });
  assert.equal(new URL(page.url()).searchParams.get('deployment'), null);
  await page.locator('tr[data-module=products] [data-status=success]').waitFor();
});

e2e('a module whose build fails shows failed with the reason and the log; a snackbar tells when its dialog is closed', async () => {
  const page = await signedInPage();
  await fillModule(page, { name: 'Broken Thing', fields: [{ name: 'label', type: 'string' }], apps: ['backend'] });
  await page.getByTestId('submit').click();
  await dialog(page).waitFor({ timeout: 90_000 });
  await waitStatus(page, 'pending');
  await pushed(page, 'module/broken-thing', ['backend']);
  const commit = branchCommit(remotes.backend, 'module/broken-thing');
  const ci = (extra) => sendWebhook(server.url, server.secret, { deploymentId: 'e2e-broken-1', applicationId: 'backend', branch: 'module/broken-thing', commit, moduleName: 'broken-thing', ...extra });

  await ci({ status: 'running', message: 'Building image', logs: ['#5 RUN npm ci', '#6 RUN npm run build'] });
  await waitStatus(page, 'building');
  await dialog(page).getByRole('button', { name: 'Close' }).click();
  await dialog(page).waitFor({ state: 'detached' });

  await ci({ status: 'error', message: 'docker build failed: exit code 2', logs: ["error TS2304: Cannot find name 'Prodcut'.", 'ERROR: process "npm run build" did not complete successfully'] });
  const snack = page.locator('mat-snack-bar-container');
  await snack.getByText(/broken-thing failed/).waitFor();
  await snack.getByRole('button', { name: 'View' }).click();

  await waitStatus(page, 'failed');
  const failure = dialog(page).getByTestId('failure');
  await failure.getByText('docker build failed: exit code 2').waitFor();
  assert.match(await failure.innerText(), /Cannot find name 'Prodcut'/);
  assert.equal(await dialog(page).locator('.steps li[data-stage=failed]').getAttribute('class'), 'failed');
  assert.equal(await dialog(page).locator('.steps li[data-stage=building]').getAttribute('class'), 'failed', 'it failed while building');
  await shot(page, 'deployment-failed.png');
});

e2e('deployments page: live list, filter, and a phone-width layout', async () => {
  const page = await signedInPage({ width: 390, height: 844 });
  await page.getByRole('link', { name: /Deployments/ }).click();
  await page.waitForURL(/\/deployments/);
  await page.locator('tr[data-deployment]').first().waitFor();
  assert.equal(await page.locator('tr[data-deployment]').count(), 2);
  await page.getByTestId('filter-module').fill('broken');
  await page.waitForFunction(() => document.querySelectorAll('tr[data-deployment]').length === 1);
  await page.screenshot({ path: join(SHOTS, 'deployments-phone.png') });
  await page.getByTestId('filter-module').fill('');
  await page.waitForFunction(() => document.querySelectorAll('tr[data-deployment]').length === 2);
  await page.waitForTimeout(1000); // the list's own refetch after the filter change is done: what follows is realtime only

  // A deployment CI started on its own (no module publish) shows up live.
  await sendWebhook(server.url, server.secret, { deploymentId: 'e2e-main-1', applicationId: 'backend', branch: 'main', status: 'running', isModuleBranch: false, logs: ['main build'] });
  await page.waitForFunction(() => document.querySelectorAll('tr[data-deployment]').length === 3);
  await page.locator('tr[data-deployment]').first().click();
  await waitStatus(page, 'building');
  await shot(page, 'deployment-dialog-phone.png');
});
