// The controls of issue 12 (items 5 and 6) as a person uses them, with the demo applications and the
// local runner: a module deployed from the form, *Redeploy* from its menu (a new deployment the dialog
// follows to success), then *Delete* with its branch ticked: the module, its branch in the hosted
// repository and its running service are gone.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { demoSlipway, dialog, e2e, fillModule, followToEnd } from './support/browser.mjs';

const slipway = demoSlipway();
const branches = (app) =>
  execFileSync('git', ['-C', join(slipway.server.dataDir, 'repos', `${app}.git`), 'for-each-ref', '--format=%(refname)', 'refs/heads/module/'], { encoding: 'utf8' }).trim();

e2e('controls: redeploy a module, then delete it with its branch', async () => {
  const page = await slipway.signIn();
  await fillModule(page, { name: 'Parcels', fields: [{ name: 'title', type: 'string' }], apps: ['backend'] });
  await page.getByTestId('submit').click();
  await dialog(page).waitFor({ timeout: 90_000 });
  await page.waitForURL(/[?&]deployment=/);
  const first = new URL(page.url()).searchParams.get('deployment');
  const created = await followToEnd(page);
  assert.equal(created.at(-1), 'success', `create: ${created.join(' → ')}`);
  const live = await dialog(page).getByTestId('live-url').first().getAttribute('href', { timeout: 5000 });
  assert.equal(await fetch(live).then((r) => r.ok, () => false), true, `the service answers at ${live}`);
  await page.keyboard.press('Escape');
  await dialog(page).waitFor({ state: 'detached' });

  // Redeploy: a NEW deployment of the same commit, followed to success in its dialog.
  await page.goto(`${slipway.server.url}/modules`);
  await page.getByRole('button', { name: 'Actions for Parcels' }).click();
  await page.getByTestId('redeploy').click();
  await dialog(page).waitFor();
  await page.waitForURL((u) => u.searchParams.get('deployment') && u.searchParams.get('deployment') !== first);
  const again = await followToEnd(page);
  assert.equal(again.at(-1), 'success', `redeploy: ${again.join(' → ')}`);
  await page.keyboard.press('Escape');
  await dialog(page).waitFor({ state: 'detached' });

  // Delete with the branch: confirmed in the page, the branch and the service are gone.
  assert.equal(branches('backend'), 'refs/heads/module/parcels');
  await page.getByRole('button', { name: 'Actions for Parcels' }).click();
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  await dialog(page).getByTestId('delete-branches').locator('input').check();
  await dialog(page).getByTestId('confirm-delete').click();
  await page.getByText("Module 'parcels' deleted with its branches").waitFor();
  assert.equal(branches('backend'), '');
  const status = await page.evaluate(async () => (await fetch('/api/admin/modules/parcels')).status);
  assert.equal(status, 404);
  assert.equal(await fetch(live).then((r) => r.ok, () => false), false, 'the service is stopped');
});
