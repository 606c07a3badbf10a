// What a person does while a deployment runs (issue 12): reloads the page, sees Slipway itself
// restart (killed with SIGKILL and started again on the same port and data), and uses the controls on
// a phone. The dialog must pick the deployment up again and follow it to its real end, with nothing
// lost from its log.
import assert from 'node:assert/strict';
import { demoSlipway, dialog, e2e, fillModule, followToEnd, shot, statusOf } from './support/browser.mjs';

const slipway = demoSlipway();

/** Creates a module on `backend` from the form; resolves once the dialog shows it building or deploying. */
async function startDeployment(page, name) {
  await fillModule(page, { name, fields: [{ name: 'title', type: 'string' }], apps: ['backend'] });
  await page.getByTestId('submit').click();
  await dialog(page).waitFor({ timeout: 90_000 });
  await page.waitForURL(/[?&]deployment=/);
  // Under way: the runner reported a stage (which one depends on the machine's pace).
  await dialog(page).locator('[data-testid=deployment-status]').locator('[data-status=building], [data-status=deploying]').first().waitFor({ timeout: 90_000 });
  return new URL(page.url()).searchParams.get('deployment');
}

const logText = (page) => dialog(page).getByTestId('deployment-log').innerText();

e2e('reload mid-deployment: the dialog reopens where it was and follows it to the end', async () => {
  const page = await slipway.signIn();
  const id = await startDeployment(page, 'Crates');
  const before = await logText(page);
  assert.match(before, /Pushed .* to backend/);

  await page.reload();
  await dialog(page).waitFor({ timeout: 30_000 });
  assert.equal(new URL(page.url()).searchParams.get('deployment'), id, 'the same deployment after the reload');
  // The log the page had before the reload is all there again (it comes from the server, not the tab).
  const after = await logText(page);
  for (const line of before.split('\n').filter((l) => /Pushed|Building|build/i.test(l)).slice(0, 3)) assert.ok(after.includes(line), `still in the log: ${line}`);
  const seen = await followToEnd(page);
  assert.equal(seen.at(-1), 'success', `after the reload: ${seen.join(' → ')}`);
  await dialog(page).getByTestId('live-url').first().waitFor();
});

e2e('restart Slipway mid-deployment: the page reconnects and the deployment still reaches its end', async () => {
  const page = await slipway.signIn();
  const id = await startDeployment(page, 'Pallets');

  await slipway.server.restart();
  // The page noticed, then came back by itself (the same tab, no reload).
  await page.locator('[data-testid=connection-state][data-state=connected]').waitFor({ timeout: 60_000 });
  assert.equal(new URL(page.url()).searchParams.get('deployment'), id);
  // The runner's job was claimed by the dead process; the new one takes it over when its lease ends.
  const seen = await followToEnd(page, 180_000);
  assert.equal(seen.at(-1), 'success', `after the restart: ${seen.join(' → ')}`);
  const live = await dialog(page).getByTestId('live-url').first().getAttribute('href', { timeout: 10_000 });
  assert.equal(await fetch(live).then((r) => r.ok, () => false), true, `the module answers at ${live}`);
});

e2e('controls at phone width: cancel a running deployment from the dialog, redeploy from the list', async () => {
  const page = await slipway.signIn({ width: 390, height: 844 });
  await startDeployment(page, 'Totes');
  const cancel = dialog(page).getByTestId('cancel-deployment');
  const box = await cancel.boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `Cancel is inside the screen: ${JSON.stringify(box)}`);
  await cancel.click();
  const seen = await followToEnd(page);
  assert.equal(seen.at(-1), 'cancelled', seen.join(' → '));
  assert.equal(await dialog(page).getByTestId('live-url').count(), 0, 'no live link on a cancelled deployment');
  assert.doesNotMatch(await dialog(page).innerText(), /deployed successfully|Why it failed/);
  await dialog(page).getByText('Why it stopped').waitFor();
  await shot(page, 'deployment-cancelled-phone.png');
  await page.keyboard.press('Escape');
  await dialog(page).waitFor({ state: 'detached' });

  await page.goto(`${slipway.server.url}/modules`);
  const actions = page.getByRole('button', { name: 'Actions for Totes' });
  await actions.click();
  const redeploy = page.getByTestId('redeploy');
  const r = await redeploy.boundingBox();
  assert.ok(r && r.x >= 0 && r.x + r.width <= 390, `Redeploy is inside the screen: ${JSON.stringify(r)}`);
  await shot(page, 'module-actions-phone.png');
  await redeploy.click();
  await dialog(page).waitFor();
  const again = await followToEnd(page);
  assert.equal(again.at(-1), 'success', `redeploy: ${again.join(' → ')}`);
  assert.equal(await statusOf(page), 'success');
});
