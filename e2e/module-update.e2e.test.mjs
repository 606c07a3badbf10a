// Updating a module whose branch people edited (issue 13, items 2, 4 and 6), in Chromium with the
// demo applications and the local runner: a module is created in the page, a generated file is edited
// by hand on its branch (a commit pushed to the hosted repository), and a field is added in the page.
// The update preview shows the edited file as changed and edited by hand, with a diff that keeps the
// edit; the save deploys, and the branch has both. Then a hand edit on the lines the next update
// changes: the save is refused with the conflict and the four choices before anything is pushed, and
// "Keep ours" saves with the branch's file. Deleting the module names its branch. Saves
// e2e/screenshots/module-update-diff.png and module-update-conflict.png.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoSlipway, dialog, e2e, fillModule, followToEnd, shot } from './support/browser.mjs';

const slipway = demoSlipway();
const BRANCH = 'module/crates';
const FILE = 'modules/crates.json';

const git = (args, cwd) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const repo = () => join(slipway.server.dataDir, 'repos', 'backend.git');
const head = () => git(['-C', repo(), 'rev-parse', `refs/heads/${BRANCH}`]);
const onBranch = (path) => git(['-C', repo(), 'show', `${BRANCH}:${path}`]);

/** A person's commit on the module branch: clone the hosted repository, edit one file, push. */
function editByHand(path, edit, message) {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-hand-edit-'));
  try {
    git(['clone', '-q', '--branch', BRANCH, repo(), dir]);
    const file = join(dir, path);
    const before = readFileSync(file, 'utf8');
    const after = edit(before);
    assert.notEqual(after, before, `the hand edit changes ${path}`);
    writeFileSync(file, after);
    git(['-c', 'user.name=Hand Editor', '-c', 'user.email=hand@example.com', 'commit', '-q', '-am', message], dir);
    git(['push', '-q', 'origin', BRANCH], dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Submits the form and follows the dialog it opens to its end. */
async function saveAndFollow(page) {
  await page.getByTestId('submit').click();
  return followDialog(page);
}

async function followDialog(page) {
  await dialog(page).waitFor({ timeout: 90_000 });
  await page.waitForURL(/[?&]deployment=/);
  const seen = await followToEnd(page);
  return { seen, end: seen.at(-1) };
}

async function openEditor(page) {
  if (await dialog(page).count()) {
    await page.keyboard.press('Escape');
    await dialog(page).waitFor({ state: 'detached' });
  }
  await page.locator('a[href="/modules/crates/edit"]').first().click();
  await page.waitForURL(/\/modules\/crates\/edit/);
  await page.getByTestId('field-name-0').and(page.locator(':not([value=""])')).waitFor();
}

async function addField(page, i, name, type) {
  await page.getByTestId('add-field').click();
  await page.getByTestId(`field-name-${i}`).fill(name);
  if (type !== 'string') {
    await page.getByTestId(`field-type-${i}`).click();
    await page.getByRole('option', { name: type, exact: true }).click();
  }
}

e2e('update: a hand edit is kept and shown in the diff; a conflicting edit offers the four choices, and Keep ours saves', async () => {
  const page = await slipway.signIn({ width: 1280, height: 900 });
  await fillModule(page, { name: 'Crates', fields: [{ name: 'title', type: 'string' }], apps: ['backend'] });
  const created = await saveAndFollow(page);
  assert.equal(created.end, 'success', `create: ${created.seen.join(' → ')}`);
  assert.match(onBranch(".slipway/modules/crates.json"), /"sha256"/, 'the branch holds the generation manifest');

  // Someone edits the generated descriptor on the branch: a line no field touches.
  editByHand(FILE, (s) => s.replace(/"description": ""/, '"description": "Crates we ship (edited by hand)"'), 'Describe crates');

  // In the page, a field is added and the update previewed: the edited file is changed, marked as
  // edited by hand, and its diff adds the field without taking the hand edit back.
  await openEditor(page);
  await addField(page, 1, 'price', 'decimal');
  await page.getByTestId('preview').click();
  const preview = page.getByTestId('update-preview');
  await preview.waitFor();
  const file = preview.locator(`button.file[data-path="${FILE}"]`);
  assert.equal(await file.getAttribute('data-status'), 'changed');
  assert.equal(await file.getByTestId('edited-mark').count(), 1, 'marked as edited by hand');
  assert.equal(await file.getAttribute('aria-pressed'), 'true', 'the edited file is the one shown');
  const diff = preview.getByTestId('diff');
  const added = await diff.locator('.line[data-kind=add]').allInnerTexts();
  const removed = await diff.locator('.line[data-kind=del]').allInnerTexts();
  assert.ok(added.some((l) => /"price"/.test(l)), `the diff adds price: ${added.join(' | ')}`);
  assert.ok(!removed.some((l) => /edited by hand/.test(l)), `the hand edit is not taken back: ${removed.join(' | ')}`);
  assert.ok(
    (await diff.locator('.line[data-kind=ctx]').allInnerTexts()).some((l) => /edited by hand/.test(l)) || !added.some((l) => /description/.test(l)),
    'the edited line stays as the branch has it',
  );
  // Highlighted as JSON once highlight.js has loaded (its own lazy chunk).
  assert.equal(await diff.getAttribute('data-language'), 'json');
  await diff.locator('.hljs-attr').first().waitFor();
  assert.match(await preview.getByTestId('update-summary').innerText(), /1 changed/);
  assert.equal(await page.getByTestId('conflict-choices').count(), 0, 'no conflict');
  await page.evaluate(() => {
    document.getElementById('preview')?.scrollIntoView({ block: 'start' });
    window.scrollBy(0, -76);
  });
  await shot(page, 'module-update-diff.png');
  // At phone width the tree goes above the diff, and only the diff scrolls sideways, not the page.
  await page.setViewportSize({ width: 390, height: 844 });
  await preview.getByTestId('diff').waitFor();
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal overflow at 390 px');
  await page.setViewportSize({ width: 1280, height: 900 });

  // Saved: deployed, and the branch has the new field and the hand edit.
  const updated = await saveAndFollow(page);
  assert.equal(updated.end, 'success', `update: ${updated.seen.join(' → ')}`);
  const merged = onBranch(FILE);
  assert.match(merged, /edited by hand/);
  assert.match(merged, /"price"/);

  // Now an edit on the lines the next update changes: the samples' last key gets a comma when a field is added.
  editByHand(
    FILE,
    (s) => {
      const lines = s.split('\n');
      const samples = lines.findIndex((l) => /"samples": \[/.test(l));
      const i = lines.findIndex((l, n) => n > samples && /^\s+"price": /.test(l));
      lines[i] = lines[i].replace(/"price": .*$/, '"price": 4321.5');
      return lines.join('\n');
    },
    'A better sample price',
  );
  const before = head();

  // The page: a field added, saved. The server refuses with the conflict; nothing is pushed, and the
  // page shows the file and the four choices, each with its line.
  await openEditor(page);
  await addField(page, 2, 'note', 'string');
  await page.getByTestId('submit').click();
  const choices = page.getByTestId('conflict-choices');
  await choices.waitFor();
  assert.match(await choices.getByTestId('conflict-files').innerText(), /backend\s+modules\/crates\.json\s+— your edits and the update change the same lines/);
  for (const c of ['cancel', 'theirs', 'ours', 'markers']) assert.equal(await choices.getByTestId(`conflict-${c}`).count(), 1, c);
  assert.match(await choices.innerText(), /nothing was saved or pushed/);
  assert.equal(head(), before, 'nothing was pushed');
  assert.equal(await dialog(page).count(), 0, 'no deployment was started');
  assert.equal((await page.evaluate(async () => (await fetch('/api/admin/modules/crates')).json())).fields.length, 2, 'nothing was stored');
  // The preview under it shows the conflicting file with its markers.
  const conflicted = page.getByTestId('update-preview').locator(`button.file[data-path="${FILE}"]`);
  await conflicted.waitFor();
  assert.equal(await conflicted.getAttribute('data-status'), 'conflict');
  assert.match(await page.getByTestId('update-resolution').innerText(), /nothing is pushed until you choose/);
  await choices.getByTestId('conflict-ours').locator('input').check();
  // The panel's top below the toolbar, for the screenshot.
  await page.waitForTimeout(600); // the page's own smooth scroll to the panel ends first
  await page.evaluate(() => {
    document.querySelector('[data-testid=conflict-choices]')?.scrollIntoView({ block: 'start' });
    window.scrollBy(0, -76);
  });
  await shot(page, 'module-update-conflict.png');

  // Keep ours: saved with onConflict=ours; the branch keeps its file as edited.
  await choices.getByTestId('conflict-confirm').click();
  const ours = await followDialog(page);
  assert.ok(['success', 'cancelled'].includes(ours.end), `keep ours: ${ours.seen.join(' → ')}`);
  // The dialog's log says which was chosen.
  assert.match(await dialog(page).getByTestId('deployment-log').innerText(), /1 conflict resolved with 'ours'/);
  const kept = onBranch(FILE);
  assert.match(kept, /"price": 4321\.5/, "the branch's line where the two overlapped");
  assert.match(kept, /"name": "note"/, "the update's other changes to the file went in");
  assert.doesNotMatch(kept, /<<<<<<<|>>>>>>>/);
  assert.equal((await page.evaluate(async () => (await fetch('/api/admin/modules/crates')).json())).fields.length, 3, 'the definition was stored');

  // Delete: the confirmation names the branch that will go, per application, at its commit.
  await page.keyboard.press('Escape');
  await dialog(page).waitFor({ state: 'detached' });
  await page.goto(`${slipway.server.url}/modules`);
  await page.getByRole('button', { name: 'Actions for Crates' }).click();
  await page.getByRole('menuitem', { name: 'Delete' }).click();
  const list = dialog(page).getByTestId('delete-branch-list');
  await list.waitFor();
  assert.match(await list.innerText(), new RegExp(`backend: ${BRANCH}\\s*at ${head().slice(0, 7)}`));
  await dialog(page).getByTestId('delete-branches').locator('input').check();
  await dialog(page).getByText('These branches will be deleted').waitFor(); // re-rendered after the tick
  await dialog(page).getByTestId('confirm-delete').click();
  await page.getByText("Module 'crates' deleted with its branches (backend: module/crates)").waitFor();
  assert.equal(git(['-C', repo(), 'for-each-ref', '--format=%(refname)', 'refs/heads/module/']), '');
});
