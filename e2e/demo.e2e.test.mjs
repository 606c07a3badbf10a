// The whole flow offline, as a person sees it: `slipway start` with its demo applications
// (`backend`, `frontend`: repositories Slipway hosts, built and deployed by its local runner), a
// module created in the page, the dialog passing pending → building → deploying → success with the
// build's log lines, the live module URL; and a module whose build fails. Saves
// e2e/screenshots/demo-success.png and demo-failed.png. Run: node e2e/run.mjs
import assert from 'node:assert/strict';
import { demoSlipway, deploymentEvents, dialog, e2e, fillModule, followToEnd, shot } from './support/browser.mjs';

const slipway = demoSlipway();

/** The statuses the page received for a deployment over the socket, in order, repeats dropped. */
function liveStatuses(page, id) {
  return deploymentEvents(page)
    .filter((e) => e.deployment_id === id)
    .map((e) => e.status)
    .filter((s, i, all) => s !== all[i - 1]);
}

e2e('demo: create a module, watch pending → building → deploying → success with log lines, open the live module', async () => {
  const page = await slipway.signIn();
  assert.deepEqual(
    await page.evaluate(async () => (await (await fetch('/api/admin/applications')).json()).data.map((a) => a.id).sort()),
    ['backend', 'frontend'],
    'the demo applications are registered',
  );
  await fillModule(page, { name: 'Products', fields: [{ name: 'title', type: 'string' }, { name: 'price', type: 'decimal' }, { name: 'in_stock', type: 'boolean' }], apps: ['backend', 'frontend'] });
  await page.getByTestId('submit').click();
  await dialog(page).waitFor({ timeout: 90_000 });

  const seen = await followToEnd(page);
  const id = new URL(page.url()).searchParams.get('deployment');
  // The page was told of every stage, in order (the local runner can be quicker than a frame, so
  // the socket's frames are the record; the dialog's own renders must never go backwards).
  const live = liveStatuses(page, id);
  console.log(`# events received: ${live.join(' → ')}; rendered: ${seen.join(' → ')}`);
  assert.deepEqual(live.filter((s) => s !== 'pending'), ['building', 'deploying', 'success']);
  const rank = { pending: 0, building: 1, deploying: 2, success: 3 };
  assert.deepEqual([...seen].sort((a, b) => rank[a] - rank[b]), seen);
  assert.equal(seen.at(-1), 'success');
  for (const stage of ['pending', 'building', 'deploying', 'success']) {
    assert.equal(await dialog(page).locator(`.steps li[data-stage=${stage}]`).getAttribute('class'), 'done', `${stage} done`);
  }
  assert.equal(await dialog(page).getByTestId('deployment-message').innerText(), "Module 'products' deployed successfully! 🎉");
  const log = await dialog(page).getByTestId('deployment-log').innerText();
  assert.ok(log.split('\n').length >= 5, `log lines shown:\n${log}`);
  assert.match(log, /products/);
  await dialog(page).getByTestId('live-url').waitFor();
  await shot(page, 'demo-success.png');

  // The live module answers.
  const [popup] = await Promise.all([page.context().waitForEvent('page'), dialog(page).getByTestId('live-url').click()]);
  // waitForLoadState, not waitForEvent('load'): the popup may have loaded before a listener exists.
  await popup.waitForLoadState('load');
  const answer = await popup.content();
  assert.match(answer, /products|title/i, 'the live module URL serves the module');
  await popup.close();
});

e2e('demo: a module whose build fails shows failed, the reason and the build log', async () => {
  const page = await slipway.signIn();
  // The demo backend's check refuses a relation to a module the branch does not have.
  await fillModule(page, { name: 'Orders', fields: [{ name: 'customer', type: 'relation', relation: 'ghost' }], apps: ['backend'] });
  await page.getByTestId('submit').click();
  await dialog(page).waitFor({ timeout: 90_000 });
  const seen = await followToEnd(page);
  assert.equal(seen.at(-1), 'failed', `statuses seen: ${seen.join(' → ')}`);
  const failure = dialog(page).getByTestId('failure');
  await failure.waitFor();
  assert.match(await failure.innerText(), /ghost/, 'the reason or the last log lines name the problem');
  assert.match(await dialog(page).getByTestId('deployment-log').innerText(), /error/i);
  await shot(page, 'demo-failed.png');
});
