// Issue 16, items 1 and 4, as a person sees it on the demo: a deployed module's "Open the live
// module" points to its preview under Slipway's own origin (/preview/<slug>/<app>/…), which answers
// sandboxed; the Previews page lists it, and Promote (after a confirmation) merges the hosted branch
// and the preview is torn down. Saves e2e/screenshots/previews.png.
import assert from 'node:assert/strict';
import { demoSlipway, dialog, e2e, fillModule, followToEnd, shot } from './support/browser.mjs';

const slipway = demoSlipway();

e2e('previews: the live link is the preview under Slipway\'s origin; the Previews page promotes the module', async () => {
  const page = await slipway.signIn();
  const base = slipway.server.url;
  await fillModule(page, { name: 'Lanterns', fields: [{ name: 'label', type: 'string' }], apps: ['backend'] });
  await page.getByTestId('submit').click();
  await dialog(page).waitFor({ timeout: 90_000 });
  const seen = await followToEnd(page);
  assert.equal(seen.at(-1), 'success', seen.join(' → '));

  // The link: Slipway's origin, the preview's path; it answers, sandboxed, without Slipway's cookies.
  const live = dialog(page).getByTestId('live-url');
  await live.waitFor({ timeout: 30_000 });
  const href = await live.getAttribute('href');
  assert.equal(href, `${base}/preview/lanterns/backend/api/lanterns`);
  const res = await fetch(href);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-security-policy') ?? '', /^sandbox /);
  const [popup] = await Promise.all([page.context().waitForEvent('page'), live.click()]);
  await popup.waitForLoadState('load');
  assert.match(await popup.content(), /label|lanterns/i, 'the preview serves the module');
  await popup.close();
  await page.keyboard.press('Escape');

  // The Previews page: the module's preview, active, with Promote.
  await page.goto(`${base}/previews`);
  const row = page.getByTestId('preview-row').filter({ hasText: 'lanterns' });
  await row.waitFor();
  assert.equal(await row.getByTestId('preview-state').getAttribute('data-state'), 'active');
  await shot(page, 'previews.png');

  await row.getByTestId('promote').click();
  await page.getByTestId('confirm-preview-action').click();
  await page.getByTestId('promote-result').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('promote-result').innerText(), /backend: merged/);
  await page.locator('[data-testid=preview-row]:has-text("lanterns") [data-state=torn_down]').waitFor();
  assert.match(await row.innerText(), /merged into main/);
  assert.equal((await fetch(href)).status, 404, 'the preview is gone');
});
