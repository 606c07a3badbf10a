// Issue 12, items 2, 7 and 8: a deployment whose backend build fails while its frontend succeeds,
// as a person sees it in Chromium at desktop and phone (390 px) widths. The dialog says the
// backend failed, with the backend's reason, stage and log lines; no success text, no live link
// anywhere; the log can be read per application and its last line is visible; the deployments
// list fits a phone. Saves e2e/screenshots/partial-failure.png, partial-failure-phone.png,
// partial-failure-log-phone.png and partial-failure-list-phone.png.
// Run: node e2e/run.mjs (or, with a web build, node --test e2e/partial-failure.e2e.test.mjs)
import assert from 'node:assert/strict';
import { demoSlipway, dialog, e2e, fillModule, shot, statusOf } from './support/browser.mjs';

const PHONE = { width: 390, height: 844 };
const SUCCESS_TEXT = /deployed successfully|waiting for the others/i;
const slipway = demoSlipway();

const targetStatus = (page, app) => dialog(page).locator(`li[data-target=${app}] [data-status]`).getAttribute('data-status');

/** Both applications ended: the backend failed, the frontend succeeded (it reports after the failure or before). */
async function waitBothEnded(page, timeoutMs = 120_000) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const [s, b, f] = await Promise.all([statusOf(page), targetStatus(page, 'backend'), targetStatus(page, 'frontend')].map((p) => p.catch(() => null)));
    if (s === 'failed' && b === 'failed' && f === 'success') return;
    await page.waitForTimeout(100);
  }
  throw new Error('the backend did not fail and the frontend did not succeed in time');
}

/** The log's last line lies inside the log box and inside the dialog's visible area. */
async function lastLineVisible(page) {
  const log = dialog(page).getByTestId('deployment-log');
  await log.scrollIntoViewIfNeeded();
  await page.waitForTimeout(300);
  return log.evaluate((box) => {
    const line = box.querySelector('.line:last-child');
    const content = box.closest('mat-dialog-content, .mat-mdc-dialog-content');
    if (!line || !content) return { ok: false, why: 'no line or no dialog content' };
    const l = line.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    const c = content.getBoundingClientRect();
    const ok = l.height > 0 && l.bottom <= b.bottom - box.clientTop + 0.5 && l.bottom <= c.bottom + 0.5 && l.top >= c.top - 0.5;
    return { ok, line: line.textContent, lineBottom: l.bottom, boxBottom: b.bottom, contentBottom: c.bottom };
  });
}

/** Picks one application's log (null: all of them) and reads it once the page shows it. */
async function logOf(page, app) {
  const toggle = app ? dialog(page).locator(`[data-log-app=${app}]`) : dialog(page).locator('mat-button-toggle', { hasText: /^All$/ });
  await toggle.locator('button').click();
  await page.waitForFunction((el) => el.classList.contains('mat-button-toggle-checked'), await toggle.elementHandle());
  await page.waitForTimeout(150);
  return dialog(page).getByTestId('deployment-log').innerText();
}

async function assertPartialFailure(page) {
  const d = dialog(page);
  const message = await d.getByTestId('deployment-message').innerText();
  assert.match(message, /^backend: /, `the headline names the application that failed: ${message}`);
  assert.doesNotMatch(message, SUCCESS_TEXT);
  // Anywhere but the raw log (the frontend's own log lines may say it deployed).
  const outsideLog = await d.evaluate((el) => {
    const copy = el.cloneNode(true);
    copy.querySelector('.log-section')?.remove();
    return copy.textContent;
  });
  assert.doesNotMatch(outsideLog, SUCCESS_TEXT, 'no success text in the dialog outside the log');
  assert.equal(await d.getByTestId('live-url').count(), 0, 'no "Open the live module"');
  assert.equal(await d.locator('a', { hasText: /^live$/ }).count(), 0, 'no per-application live link');

  const failure = d.getByTestId('failure');
  assert.match(await d.getByTestId('failure-reason').innerText(), /^backend: .*Build failed/);
  const tail = (await failure.locator('pre.tail').innerText()).split('\n').filter(Boolean);
  assert.ok(tail.some((l) => /ghost/.test(l)), `the backend's log lines name the problem:\n${tail.join('\n')}`);

  // The stepper: the backend failed while building, whatever stage the frontend reached.
  assert.equal(await d.locator('.steps li[data-stage=building]').getAttribute('class'), 'failed');
  assert.equal(await d.locator('.steps li[data-stage=deploying]').getAttribute('class'), 'todo');
  assert.equal(await d.locator('.steps li[data-stage=failed]').getAttribute('class'), 'failed');

  // Each application's commit in the header.
  for (const app of ['backend', 'frontend']) assert.match(await d.locator(`[data-commit-of=${app}]`).innerText(), /^[0-9a-f]{7}/);

  // The log, per application: the failure's lines are the backend's, none of them the frontend's.
  const backendLog = await logOf(page, 'backend');
  for (const l of tail) assert.ok(backendLog.includes(l), `failure line "${l}" is in the backend's log`);
  const frontendLog = await logOf(page, 'frontend');
  assert.ok(frontendLog.trim().length > 0, 'the frontend has its own log');
  assert.ok(tail.filter((l) => /ghost/.test(l)).every((l) => !frontendLog.includes(l)), `the backend error is not in the frontend log:\n${frontendLog}`);
  await logOf(page, null);
  const visible = await lastLineVisible(page);
  assert.ok(visible.ok, `the log's last line is visible: ${JSON.stringify(visible)}`);
}

e2e('partial failure (desktop): the failed backend speaks, no success text or live link, per-application log', async () => {
  const page = await slipway.signIn();
  // The demo backend's check refuses a relation to a module the branch does not have; the
  // frontend renders a number input for it and deploys.
  await fillModule(page, { name: 'Orders', fields: [{ name: 'customer', type: 'relation', relation: 'ghost' }], apps: ['backend', 'frontend'] });
  await page.getByTestId('submit').click();
  await dialog(page).waitFor({ timeout: 90_000 });
  await waitBothEnded(page);
  await page.waitForTimeout(800); // the history the per-application log comes from is refetched
  await assertPartialFailure(page);
  await dialog(page).getByTestId('deployment-log').evaluate((b) => b.closest('.mat-mdc-dialog-content')?.scrollTo(0, 0));
  await shot(page, 'partial-failure.png');

  // The lists say the same: no success text.
  await page.keyboard.press('Escape');
  const chip = page.locator('[data-module-status=orders] [data-status]');
  assert.equal(await chip.getAttribute('data-status'), 'failed');
  await page.getByRole('link', { name: /Deployments/ }).click();
  const row = page.locator('tr[data-deployment]').first();
  await row.waitFor();
  assert.match(await row.getByTestId('row-message').innerText(), /^backend: .*Build failed/);
  assert.doesNotMatch(await row.innerText(), SUCCESS_TEXT);
});

e2e('partial failure (390 px): the deployments list fits, the dialog says the backend failed', async () => {
  const page = await slipway.signIn(PHONE);
  await page.getByRole('link', { name: /Deployments/ }).click();
  await page.waitForURL(/\/deployments/);
  const row = page.locator('tr[data-deployment]').first();
  await row.waitFor();
  const fit = await page.evaluate(() => {
    const table = document.querySelector('table[mat-table], table.mat-mdc-table');
    const box = (el) => ({ scroll: el.scrollWidth, client: el.clientWidth });
    return { doc: box(document.documentElement), table: box(table.parentElement), tableRight: table.getBoundingClientRect().right, width: window.innerWidth };
  });
  assert.ok(fit.doc.scroll <= fit.doc.client, `the page does not scroll sideways: ${JSON.stringify(fit)}`);
  assert.ok(fit.table.scroll <= fit.table.client, `the table fits its container: ${JSON.stringify(fit)}`);
  assert.ok(fit.tableRight <= fit.width, `the table ends inside the screen: ${JSON.stringify(fit)}`);
  // Branch, start and progress are still there, stacked under the module.
  assert.match(await row.locator('.stacked').innerText(), /module\/orders/);
  assert.ok(await row.locator('.stacked mat-progress-bar').isVisible());
  assert.doesNotMatch(await row.innerText(), SUCCESS_TEXT);
  await shot(page, 'partial-failure-list-phone.png');

  await row.click();
  await dialog(page).waitFor();
  await dialog(page).locator('[data-status=failed]').first().waitFor();
  await page.waitForTimeout(800);
  await assertPartialFailure(page);
  await shot(page, 'partial-failure-log-phone.png'); // scrolled to the log: its last line in view
  // A narrower screen wraps the log's lines again (taller content, same scroll position): the
  // last line must stay in view.
  await page.setViewportSize({ width: 320, height: 700 });
  await page.waitForTimeout(300);
  const narrowed = await lastLineVisible(page);
  assert.ok(narrowed.ok, `the log's last line is visible after the dialog narrowed: ${JSON.stringify(narrowed)}`);
  await page.setViewportSize(PHONE);
  await dialog(page).getByTestId('deployment-log').evaluate((b) => b.closest('.mat-mdc-dialog-content')?.scrollTo(0, 0));
  await shot(page, 'partial-failure-phone.png');
});

e2e('retry failed (390 px): a new deployment of the failed application only, followed live to its real end', async () => {
  const page = await slipway.signIn(PHONE);
  await page.getByRole('link', { name: /Deployments/ }).click();
  const row = page.locator('tr[data-deployment]').first();
  await row.waitFor();
  const failedId = await row.getAttribute('data-deployment');
  await row.click();
  await dialog(page).locator('[data-testid=deployment-status] [data-status=failed]').waitFor();
  const retry = dialog(page).getByTestId('retry-deployment');
  const box = await retry.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= PHONE.width, `Retry is inside the screen: ${JSON.stringify(box)}`);
  await retry.click();
  // The dialog moves to the NEW deployment (statuses only move forward; the old one stays failed).
  await page.waitForURL((u) => u.searchParams.get('deployment') && u.searchParams.get('deployment') !== failedId);
  await page.waitForFunction(() => document.querySelectorAll('[role=dialog]').length === 1); // the old one has closed
  await dialog(page).locator('li[data-target=backend]').waitFor();
  assert.equal(await dialog(page).locator('li[data-target=frontend]').count(), 0, 'only the failed application is deployed again');
  // Same commit, same check: it fails again, and says so (a retry is no fix).
  const end = Date.now() + 120_000;
  let s = null;
  while (Date.now() < end && s !== 'failed' && s !== 'success') {
    s = await statusOf(page).catch(() => null);
    await page.waitForTimeout(100);
  }
  assert.equal(s, 'failed');
  // One application: the reason needs no application prefix.
  assert.match(await dialog(page).getByTestId('failure-reason').innerText(), /Build failed: 'Check modules' failed/);
  assert.equal(await dialog(page).getByTestId('live-url').count(), 0);
});
