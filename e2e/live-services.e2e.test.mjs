// Issue 12, item 4, as a person sees it: a module deployed by the local runner whose service then
// dies (killed from outside) is shown "not running" — no "Open the live module" — with a Start
// that brings it back on the same URL; the module list says so too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { demoSlipway, dialog, e2e, fillModule, followToEnd, shot } from './support/browser.mjs';
import { waitFor } from './support/slipway.mjs';

const slipway = demoSlipway();
const answers = (url) =>
  fetch(url, { signal: AbortSignal.timeout(3000) }).then(
    (r) => r.status,
    () => 0,
  );

e2e('a stopped live module: the dialog offers Start instead of the link, and Start brings it back on the same URL', async () => {
  const page = await slipway.signIn();
  await fillModule(page, { name: 'Cartons', fields: [{ name: 'label', type: 'string' }], apps: ['backend'] });
  await page.getByTestId('submit').click();
  await dialog(page).waitFor({ timeout: 90_000 });
  const seen = await followToEnd(page);
  assert.equal(seen.at(-1), 'success', seen.join(' → '));
  const url = await dialog(page).getByTestId('live-url').getAttribute('href');
  assert.equal(await answers(url), 200);

  // The service dies behind Slipway's back (its service file names its process group).
  const record = JSON.parse(readFileSync(join(slipway.server.dataDir, 'runner', 'services', `${encodeURIComponent('backend/module-cartons')}.json`), 'utf8'));
  process.kill(-record.pid, 'SIGKILL');
  // The link is its preview (docs/previews.md): Slipway's proxy answers 502 while the service is down.
  await waitFor(async () => [0, 502].includes(await answers(url)), { what: 'the service to be gone' });

  // The dialog, opened again, asks the server: not running, and Start instead of the link.
  await page.reload();
  await dialog(page).waitFor({ timeout: 30_000 });
  const state = dialog(page).getByTestId('live-state');
  await state.waitFor({ timeout: 30_000 });
  assert.equal(await state.getAttribute('data-state'), 'stopped');
  assert.match(await state.innerText(), /not running/);
  assert.equal(await dialog(page).getByTestId('live-url').count(), 0, 'no live link to a stopped module');
  assert.equal(await dialog(page).getByTestId('deployment-status').innerText().then((t) => /Success/.test(t)), true);
  await shot(page, 'deployment-live-stopped.png');

  await dialog(page).getByTestId('start-services').click();
  await dialog(page).getByTestId('live-url').waitFor({ timeout: 30_000 });
  assert.equal(await dialog(page).getByTestId('live-url').getAttribute('href'), url, 'the same URL as before');
  await waitFor(async () => (await answers(url)) === 200, { what: 'the module to answer again' });
  assert.equal(await dialog(page).getByTestId('live-state').count(), 0);

  // The module list: nothing to say once it runs.
  await page.keyboard.press('Escape');
  await page.goto(`${slipway.server.url}/modules`);
  await page.locator('[data-module-status=cartons]').waitFor();
  assert.equal(await page.getByTestId('live-stopped').count(), 0);
});
