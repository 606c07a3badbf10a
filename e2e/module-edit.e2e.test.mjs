// Editing a module as a person does it, with the demo applications and the local runner: create a
// module in the page, open it again and save it unchanged (the server accepts exactly what the form
// loaded; the dialog follows the new deployment, which has nothing to build), then add a field and
// deploy that to success. Also the form at phone width: a name without a usable slug is refused
// before the server is asked, the slug is shown as the name is typed (with what it left out), and the
// preview is scrolled into view. Saves e2e/screenshots/module-edit.png and module-form-phone.png.
import assert from 'node:assert/strict';
import { demoSlipway, dialog, e2e, fillModule, followToEnd, shot } from './support/browser.mjs';

const slipway = demoSlipway();

/** The module as the API has it now (through the page's session). */
const moduleOf = (page, slug) => page.evaluate(async (s) => (await fetch(`/api/admin/modules/${s}`)).json(), slug);

/** Submits the form and follows the dialog it opens to its end; returns the deployment id and end status. */
async function saveAndFollow(page) {
  await page.getByTestId('submit').click();
  await dialog(page).waitFor({ timeout: 90_000 });
  await page.waitForURL(/[?&]deployment=/);
  const id = new URL(page.url()).searchParams.get('deployment');
  const seen = await followToEnd(page);
  return { id, seen, end: seen.at(-1) };
}

async function openEditor(page, slug) {
  await page.keyboard.press('Escape');
  await dialog(page).waitFor({ state: 'detached' });
  await page.locator(`a[href="/modules/${slug}/edit"]`).first().click();
  await page.waitForURL(new RegExp(`/modules/${slug}/edit`));
  // Loaded: the fields are the stored ones, the branch is the module's own.
  await page.getByTestId('field-name-0').and(page.locator(':not([value=""])')).waitFor();
}

e2e('edit: a module opened again saves as loaded; then a field is added and deployed to success', async () => {
  const page = await slipway.signIn();
  await fillModule(page, { name: 'Catalog', fields: [{ name: 'title', type: 'string' }], apps: ['backend'] });
  const first = await saveAndFollow(page);
  assert.equal(first.end, 'success', `create: statuses seen ${first.seen.join(' → ')}`);

  // Opened again: the form shows what is stored, git settings included (they were lost before).
  await openEditor(page, 'catalog');
  assert.equal(await page.getByTestId('module-name').inputValue(), 'Catalog');
  assert.equal(await page.getByTestId('field-name-0').inputValue(), 'title');
  assert.equal(await page.getByTestId('branch-name').innerText(), 'module/catalog');
  assert.equal(await page.getByTestId('base-branch').innerText(), 'main');
  await page.getByTestId('base-branch').scrollIntoViewIfNeeded();
  await shot(page, 'module-edit.png');

  // Saved as loaded: accepted (before, the server refused it: "Base branch — Required"), and the
  // dialog follows the new deployment to its end. The branch already holds these files, so the
  // server has nothing to build and says so: the deployment ends `cancelled`, never `failed`.
  const unchanged = await saveAndFollow(page);
  assert.equal(await page.getByTestId('form-problem').count(), 0, 'no banner: the server accepted the form as loaded');
  assert.notEqual(unchanged.id, first.id, 'a new deployment');
  assert.equal(unchanged.end, 'cancelled', `save unchanged: statuses seen ${unchanged.seen.join(' → ')}`);
  assert.match(await dialog(page).getByTestId('deployment-message').innerText(), /already holds these files .*nothing to deploy/);

  // A field added, deployed to success, and stored.
  await openEditor(page, 'catalog');
  await page.getByTestId('add-field').click();
  await page.getByTestId('field-name-1').fill('price');
  await page.getByTestId('field-type-1').click();
  await page.getByRole('option', { name: 'decimal', exact: true }).click();
  const added = await saveAndFollow(page);
  assert.equal(added.end, 'success', `field added: statuses seen ${added.seen.join(' → ')}`);
  const stored = await moduleOf(page, 'catalog');
  assert.deepEqual(stored.fields.map((f) => [f.name, f.type]), [['title', 'string'], ['price', 'decimal']]);
  assert.deepEqual(stored.git, { enabled: true, createBranch: true, branchName: 'module/catalog', baseBranch: 'main' });
  // The modules list counts them right.
  await page.keyboard.press('Escape');
  await page.getByText('catalog · 2 fields').waitFor();
});

e2e('form at phone width: names refused in the form, the slug shown as typed, the preview scrolled into view', async () => {
  const page = await slipway.signIn({ width: 390, height: 844 });
  const posted = [];
  page.on('request', (r) => r.method() !== 'GET' && r.url().includes('/api/admin/modules') && posted.push(r.url()));
  await fillModule(page, { name: '!!!', fields: [{ name: 'title', type: 'string' }], apps: ['backend'] });
  const nameField = page.locator('mat-form-field').filter({ has: page.getByTestId('module-name') });

  // "!!!" gives no slug: the form says so under the name, and the server is never asked.
  await page.getByTestId('submit').click();
  await nameField.locator('mat-error').getByText('gives no usable slug').waitFor();
  await page.getByTestId('module-name').fill('   ');
  await nameField.locator('mat-error').getByText('Required').waitFor();
  assert.deepEqual(posted, [], 'nothing was sent');

  // The slug follows the name as it is typed, and says what it left out.
  await page.getByTestId('module-name').fill('123 products');
  assert.equal(await page.getByTestId('slug-preview').innerText(), 'products');
  assert.match(await page.getByTestId('slug-dropped').innerText(), /123/);
  assert.equal(await page.getByTestId('branch-name').innerText(), 'module/products');
  // Nothing runs off the side of a phone.
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal overflow at 390 px');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, 'module-form-phone.png');

  // The preview appears below the form, and the page brings it into view.
  await page.getByTestId('preview').click();
  const preview = page.getByTestId('preview-files');
  await preview.waitFor();
  await page.waitForFunction(() => {
    const r = document.getElementById('preview')?.getBoundingClientRect();
    return r && r.top >= 0 && r.top < window.innerHeight;
  });
  assert.doesNotMatch(await preview.innerText(), /\b1 files\b/);
});
