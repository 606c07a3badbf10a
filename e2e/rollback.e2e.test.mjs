// Issue 16, items 2 and 3, as a person uses them with the demo applications and the local runner: a
// webhook notification channel added in the Notifications page (its generated secret shown once), a
// module deployed (v1) from the form, updated to v2, then *Roll back to this* on v1's row in the
// deployments list: a new deployment, followed live in its dialog to success, that serves v1 again
// and is marked "Rollback to deployment N" (list and dialog; an older success's dialog offers *Roll
// back to this* too); the receiver gets the signed `deployment.rolled_back`
// event and the page shows the delivery. Saves e2e/screenshots/rollback-list.png and notifications.png.
// Run: node e2e/run.mjs (or, with a web build, node --test e2e/rollback.e2e.test.mjs)
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { demoSlipway, dialog, e2e, fillModule, followToEnd, shot } from './support/browser.mjs';

const slipway = demoSlipway();

/** A receiver on loopback recording every POST. */
async function sink() {
  const got = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { got, url: `http://127.0.0.1:${server.address().port}/slipway`, close: () => new Promise((r) => server.close(r)) };
}

async function until(what, f, ms = 120_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A call of the API from the signed-in page (its session cookie and CSRF header). */
const api = (page, method, path, body) =>
  page.evaluate(
    async ([method, path, body]) => {
      const xsrf = decodeURIComponent((document.cookie.split('; ').find((c) => c.startsWith('XSRF-TOKEN=')) ?? '=').split('=')[1]);
      const r = await fetch(path, { method, headers: { 'content-type': 'application/json', 'x-xsrf-token': xsrf }, body: body === undefined ? undefined : JSON.stringify(body) });
      return { status: r.status, body: await r.json().catch(() => null) };
    },
    [method, path, body],
  );

e2e('rollback from the deployments list, announced by a signed webhook shown in the Notifications page', async () => {
  const receiver = await sink();
  try {
    const page = await slipway.signIn();
    page.on('dialog', (d) => void d.accept()); // the confirmations (window.confirm)

    // A webhook channel for rollbacks, from the page; its generated secret is shown once.
    await page.getByRole('button', { name: 'Account menu' }).click();
    await page.getByRole('menuitem', { name: 'Notifications' }).click();
    await page.waitForURL(/\/account\/notifications/);
    await page.getByLabel('Name', { exact: true }).fill('Rollbacks to ops');
    await page.getByRole('checkbox', { name: 'Rolled back' }).check();
    await page.getByLabel('URL').fill(receiver.url);
    await page.getByRole('button', { name: 'Add channel' }).click();
    const secret = (await page.getByTestId('new-secret').locator('code').innerText()).trim();
    assert.match(secret, /^whsec_/);
    await page.locator('[data-channel="Rollbacks to ops"]').waitFor();

    // v1 from the form, followed to success.
    await page.goto(`${slipway.server.url}/modules`);
    await fillModule(page, { name: 'Canoes', fields: [{ name: 'title', type: 'string' }], apps: ['backend'] });
    await page.getByTestId('submit').click();
    await dialog(page).waitFor({ timeout: 90_000 });
    await page.waitForURL(/[?&]deployment=/);
    const v1 = new URL(page.url()).searchParams.get('deployment');
    assert.equal((await followToEnd(page)).at(-1), 'success');
    await page.keyboard.press('Escape');
    await dialog(page).waitFor({ state: 'detached' });

    // v2 (a new field), deployed.
    const upd = await api(page, 'PUT', '/api/admin/modules/canoes', { name: 'Canoes', fields: [{ name: 'title', type: 'string' }, { name: 'price', type: 'decimal' }], applications: ['backend'] });
    assert.equal(upd.status, 200);
    const v2 = upd.body.deployment.deployment_id;
    const v2done = await until('v2 to succeed', async () => {
      const d = (await api(page, 'GET', `/api/admin/deployments/${v2}`)).body;
      return d?.status === 'success' && d;
    });
    const apiUrl = v2done.targets[0].url;
    const served = async () => (await (await fetch(apiUrl)).json())[0] ?? {};
    await until('v2 to be served', async () => 'price' in (await served()));

    // Roll back to v1 from its row: a new deployment, followed live in its dialog.
    await page.getByRole('link', { name: /Deployments/ }).click();
    await page.waitForURL(/\/deployments/);
    const v1Row = page.locator(`tr[data-deployment="${v1}"]`);
    assert.equal(await page.locator(`tr[data-deployment="${v2}"] [data-testid=rollback]`).count(), 0, 'the newest deployment offers no rollback');
    await v1Row.getByTestId('rollback').click();
    await dialog(page).waitFor();
    await page.waitForURL((u) => u.searchParams.get('deployment') && ![v1, v2].includes(u.searchParams.get('deployment')));
    const rolled = new URL(page.url()).searchParams.get('deployment');
    const seen = await followToEnd(page);
    assert.equal(seen.at(-1), 'success', `rollback: ${seen.join(' → ')}`);
    await dialog(page).getByTestId('rollback-of').filter({ hasText: `Rollback to deployment ${v1}` }).waitFor();
    assert.equal(await dialog(page).getByTestId('rollback-deployment').count(), 0, 'the newest deployment offers no rollback');
    await page.keyboard.press('Escape');
    await dialog(page).waitFor({ state: 'detached' });
    // v2's dialog, now an older success, offers it too.
    await page.locator(`tr[data-deployment="${v2}"]`).click();
    await dialog(page).getByTestId('rollback-deployment').waitFor();
    await page.keyboard.press('Escape');
    await dialog(page).waitFor({ state: 'detached' });
    await until('v1 to be served again', async () => !('price' in (await served())));
    await page.locator(`tr[data-deployment="${rolled}"] [data-testid=rollback-of]`).filter({ hasText: `Rollback to deployment ${v1}` }).waitFor();
    await shot(page, 'rollback-list.png');

    // The receiver got the signed event; the page shows the delivery.
    const delivery = await until('the rolled_back webhook', () => receiver.got.find((r) => JSON.parse(r.body).type === 'deployment.rolled_back'));
    const event = new Webhook(secret).verify(delivery.body, delivery.headers);
    assert.equal(event.data.deployment_id, rolled);
    assert.equal(event.data.rollback_of, v1);
    await page.getByRole('button', { name: 'Account menu' }).click();
    await page.getByRole('menuitem', { name: 'Notifications' }).click();
    await page.locator('[data-channel="Rollbacks to ops"] [data-testid=delivery][data-status=delivered]').filter({ hasText: `deployment ${rolled}` }).waitFor();
    assert.equal(await page.getByText(secret).count(), 0, 'the secret is not shown again');
    await shot(page, 'notifications.png');
  } finally {
    await receiver.close();
  }
});
