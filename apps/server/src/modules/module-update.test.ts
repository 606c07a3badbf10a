/**
 * Issue 13: an update merges with what people did on the module branch. On real repositories: the
 * manifest is committed and read back; a hand edit the update does not touch survives it; a
 * conflicting edit is a 409 that stores and pushes nothing, unless `onConflict` says how to resolve;
 * a file no longer generated is deleted, or is a conflict when someone edited it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBareRepo } from '../git/index.ts';
import { call } from '../test-support/http.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { manifestPath, parseManifestText, serializeManifest, sha256 } from './generation-manifest.ts';

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-C', cwd, '-c', 'user.name=Ann', '-c', 'user.email=ann@example.com', ...args], { encoding: 'utf8' }).trim();
// The angular pack: the other packs gain migrations (schema evolution) in another change.
const TABLE = 'src/app/features/parts/parts.model.ts';
const SCHEMA = 'src/app/features/parts/part-form.page.ts';
const ROUTES = 'src/app/features/parts/parts.routes.ts';
const MANIFEST = manifestPath('parts');

const parts = (fields: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({ name: 'Parts', applications: ['backend'], fields, ...extra });
const TITLE = { name: 'title', type: 'string', required: true };
const STOCK = { name: 'stock', type: 'integer', required: true, default: 0 };
const NOTE = { name: 'note', type: 'text' };

describe('updating a module merges with its branch', () => {
  let s: TestServer;
  let alice: string;
  let bare: string;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-module-update-'));
  const head = () => git(bare, 'rev-parse', 'refs/heads/module/parts');
  const show = (path: string) => git(bare, 'show', `module/parts:${path}`) + '\n';
  const exists = (path: string) => git(bare, 'ls-tree', '--name-only', 'module/parts', '--', path) !== '';
  let n = 0;
  /** Commits on the module branch as a person would: clone, change, commit, push. */
  function edit(change: (work: string) => void): string {
    const work = join(dir, `work-${++n}`);
    execFileSync('git', ['clone', '-q', '--branch', 'module/parts', bare, work]);
    change(work);
    git(work, 'add', '-A');
    git(work, 'commit', '-q', '-m', 'hand edit');
    git(work, 'push', '-q', 'origin', 'module/parts');
    return head();
  }
  const update = (body: Record<string, unknown>) => call(s.url, 'PUT', '/api/admin/modules/parts', { token: alice, body });

  beforeAll(async () => {
    const repos = join(dir, 'remotes');
    await ensureBareRepo(repos, 'backend', { initialFiles: [{ path: 'README.md', content: '# backend\n' }] });
    bare = join(repos, 'backend.git');
    await ensureBareRepo(repos, 'api', { initialFiles: [{ path: 'README.md', content: '# api\n' }] });
    writeFileSync(
      join(dir, 'apps.yaml'),
      `applications:\n  - id: backend\n    repoUrl: ${bare}\n    templatePack: angular\n  - id: api\n    repoUrl: ${join(repos, 'api.git')}\n    templatePack: typescript-api\n`,
    );
    s = await startTestServer('sqlite', { SLIPWAY_CONFIG: join(dir, 'apps.yaml'), SLIPWAY_PUBLISH_WAIT_MS: '60000' });
    await s.ctx.auth.addUser('alice@example.com', 'alice-password', 'member');
    alice = await s.ctx.auth.createToken('alice@example.com', 't');
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits a manifest that names the pack, the definition and the hash of every file, and reads back the same', async () => {
    const r = await call(s.url, 'POST', '/api/admin/modules', { token: alice, body: parts([TITLE]) });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const text = show(MANIFEST);
    const m = parseManifestText(text, MANIFEST);
    expect(m.pack).toEqual({ name: 'angular', version: expect.stringMatching(/^\d/), origin: 'built-in' });
    expect(m.module).toBe('parts');
    expect(m.versions.map((v) => v.module.fields.map((f) => f.name))).toEqual([['title']]);
    expect(m.files.map((f) => f.path)).toContain(TABLE);
    for (const f of m.files) expect(f.sha256, f.path).toBe(sha256(show(f.path).replace(/\n$/, '') + (readNewline(f.path) ? '\n' : '')));
    // Round trip: what is read serializes to the very bytes committed.
    expect(serializeManifest(m)).toBe(text);
  });

  function readNewline(path: string): boolean {
    return execFileSync('git', ['-C', bare, 'show', `module/parts:${path}`]).at(-1) === 0x0a;
  }

  it('keeps a hand edit on lines the update does not touch, and merges the update in', async () => {
    edit((w) => writeFileSync(join(w, TABLE), readFileSync(join(w, TABLE), 'utf8') + '\n/** Added by hand. */\nexport const HAND_EDITED = true;\n'));
    const preview = await call(s.url, 'POST', '/api/admin/modules/parts/preview', { token: alice, body: parts([TITLE, STOCK]) });
    expect(preview.status).toBe(200);
    expect(preview.body.conflicts).toBe(0);
    const [app] = preview.body.applications;
    expect(app).toMatchObject({ application: 'backend', pack: 'angular', base_pack_version: app.pack_version, manifest_path: MANIFEST, head: head() });
    const table = app.files.find((f: { path: string }) => f.path === TABLE);
    expect(table).toMatchObject({ status: 'changed', edited: true, conflict: null, truncated: false });
    expect(table.diff).toContain('+  stock: number;');
    expect(table.diff).not.toContain('HAND_EDITED'); // the diff is against the branch: the edit is not a change
    expect(app.files.find((f: { path: string }) => f.path === ROUTES).status).toMatch(/changed|unchanged/);

    const r = await update(parts([TITLE, STOCK]));
    expect(r.status).toBe(200);
    const merged = show(TABLE);
    expect(merged).toContain('export const HAND_EDITED = true;');
    expect(merged).toContain('stock: number;');
    // The manifest records the render, not the merge: the edit still counts as an edit next time.
    const m = parseManifestText(show(MANIFEST), MANIFEST);
    expect(m.versions.at(-1)!.module.fields.map((f) => f.name)).toEqual(['title', 'stock']);
    expect(m.files.find((f) => f.path === TABLE)!.sha256).not.toBe(sha256(merged));
  });

  it('an edited file the update does not change stays as the person left it', async () => {
    const edited = '// rewritten by hand\n';
    edit((w) => writeFileSync(join(w, ROUTES), edited));
    const r = await update(parts([TITLE, STOCK], { description: 'Spare parts' }));
    expect(r.status).toBe(200);
    expect(show(ROUTES)).toBe(edited);
  });

  it('a conflicting edit is a 409 listing it; nothing is stored or pushed; each resolution does what it says', async () => {
    const line = "    title: new FormControl<string | null>(null, { validators: [Validators.required, Validators.maxLength(255)] }),";
    expect(show(SCHEMA)).toContain(line);
    const before = edit((w) => writeFileSync(join(w, SCHEMA), readFileSync(join(w, SCHEMA), 'utf8').replace(line, "    title: new FormControl<string | null>(null, { validators: [Validators.required, Validators.minLength(3)] }), // by hand")));
    const optionalTitle = { ...TITLE, required: false };

    const refused = await update(parts([optionalTitle, STOCK]));
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'conflict', conflicts: [{ application: 'backend', path: SCHEMA, kind: 'content' }] });
    expect(head()).toBe(before);
    expect((await call(s.url, 'GET', '/api/admin/modules/parts', { token: alice })).body.fields[0].required).toBe(true);
    expect((await update({ ...parts([optionalTitle, STOCK]), onConflict: 'cancel' })).status).toBe(409);
    expect((await update({ ...parts([optionalTitle, STOCK]), onConflict: 'sometimes' })).status).toBe(422);
    expect(head()).toBe(before);

    const preview = await call(s.url, 'POST', '/api/admin/modules/parts/preview', { token: alice, body: parts([optionalTitle, STOCK]) });
    expect(preview.body.conflicts).toBe(1);
    const conflict = preview.body.applications[0].files.find((f: { path: string }) => f.path === SCHEMA);
    expect(conflict).toMatchObject({ status: 'conflict', conflict: 'content', edited: true });
    expect(conflict.diff).toContain('+<<<<<<< branch (your edits)');

    // ours: the branch's file stays; the rest of the update goes in.
    expect((await update({ ...parts([optionalTitle, STOCK]), onConflict: 'ours' })).status).toBe(200);
    expect(head()).not.toBe(before);
    expect(show(SCHEMA)).toContain('Validators.minLength(3)] }), // by hand');
    expect(parseManifestText(show(MANIFEST), MANIFEST).versions.at(-1)!.module.fields[0]!.required).toBe(false);

    // markers: committed with conflict markers on the module branch (the update changes that line again).
    const requiredAgain = [TITLE, STOCK];
    expect((await update(parts(requiredAgain))).status).toBe(409);
    expect((await update({ ...parts(requiredAgain), onConflict: 'markers' })).status).toBe(200);
    expect(show(SCHEMA)).toMatch(/<<<<<<< branch \(your edits\)\n[\s\S]*by hand[\s\S]*=======\n[\s\S]*>>>>>>> update \(new render\)/);

    // theirs: the new render wins.
    expect((await update(parts([optionalTitle, STOCK]))).status).toBe(409);
    expect((await update({ ...parts([optionalTitle, STOCK]), onConflict: 'theirs' })).status).toBe(200);
    expect(show(SCHEMA)).not.toContain('<<<<<<<');
    expect(show(SCHEMA)).not.toContain('by hand');
    const m = parseManifestText(show(MANIFEST), MANIFEST);
    expect(sha256(show(SCHEMA))).toBe(m.files.find((f) => f.path === SCHEMA)!.sha256);
  });

  it('deletes a file the module no longer generates; an edited one is a conflict', async () => {
    // A file the previous render generated (as an older pack would have): listed in the manifest with its hash.
    const addGenerated = (w: string, path: string, content: string) => {
      writeFileSync(join(w, path), content);
      const m = parseManifestText(readFileSync(join(w, MANIFEST), 'utf8'), MANIFEST);
      m.files.push({ path, sha256: sha256(content) });
      writeFileSync(join(w, MANIFEST), serializeManifest(m));
    };
    edit((w) => addGenerated(w, 'src/app/features/parts/old.ts', 'export const OLD = 1;\n'));
    const preview = await call(s.url, 'POST', '/api/admin/modules/parts/preview', { token: alice, body: parts([TITLE, STOCK]) });
    expect(preview.body.applications[0].files.find((f: { path: string }) => f.path === 'src/app/features/parts/old.ts')).toMatchObject({ status: 'deleted', edited: false });
    expect((await update(parts([TITLE, STOCK]))).status).toBe(200);
    expect(exists('src/app/features/parts/old.ts')).toBe(false);
    expect(parseManifestText(show(MANIFEST), MANIFEST).files.map((f) => f.path)).not.toContain('src/app/features/parts/old.ts');

    const before = edit((w) => addGenerated(w, 'src/app/features/parts/older.ts', 'export const OLDER = 1;\n'));
    edit((w) => writeFileSync(join(w, 'src/app/features/parts/older.ts'), 'export const OLDER = 2; // still used\n'));
    const refused = await update(parts([TITLE]));
    expect(refused.status).toBe(409);
    expect(refused.body.conflicts).toEqual([{ application: 'backend', path: 'src/app/features/parts/older.ts', kind: 'edited_removed' }]);
    expect(head()).not.toBe(before); // (the edit above moved it)
    const kept = head();
    expect((await update({ ...parts([TITLE]), onConflict: 'ours' })).status).toBe(200);
    expect(head()).not.toBe(kept);
    expect(show('src/app/features/parts/older.ts')).toBe('export const OLDER = 2; // still used\n');
    expect(show(TABLE)).not.toContain('stock');
  });

  it('a file deleted on the branch stays deleted; the branches a delete would remove are listed', async () => {
    edit((w) => unlinkSync(join(w, ROUTES)));
    expect((await update(parts([TITLE], { description: 'again' }))).status).toBe(200);
    expect(exists(ROUTES)).toBe(false);

    const branches = await call(s.url, 'GET', '/api/admin/modules/parts/branches', { token: alice });
    expect(branches.status).toBe(200);
    expect(branches.body).toEqual({ branches: [{ application: 'backend', branch: 'module/parts', commit: head() }] });
  });

  it('with a pack that has migrations: the create migration stays, the update adds an alter migration', async () => {
    const bolts = (fields: Record<string, unknown>[]) => ({ name: 'Bolts', applications: ['api'], fields });
    expect((await call(s.url, 'POST', '/api/admin/modules', { token: alice, body: bolts([TITLE]) })).status).toBe(201);
    const preview = await call(s.url, 'POST', '/api/admin/modules/bolts/preview', { token: alice, body: bolts([TITLE, STOCK]) });
    expect(preview.status).toBe(200);
    const files: { path: string; status: string }[] = preview.body.applications[0].files;
    const migrations = files.filter((f) => f.path.startsWith('src/db/migrations/'));
    expect(migrations.map((f) => f.status).sort()).toEqual(['created', 'unchanged']);
    expect(migrations.find((f) => f.status === 'unchanged')!.path).toMatch(/_create_bolts\.ts$/);
    expect((await call(s.url, 'PUT', '/api/admin/modules/bolts', { token: alice, body: bolts([TITLE, STOCK]) })).status).toBe(200);
    const m = parseManifestText(git(join(dir, 'remotes', 'api.git'), 'show', `module/bolts:${manifestPath('bolts')}`), 'm');
    expect(m.versions.map((v) => v.module.fields.length)).toEqual([1, 2]);
    expect(m.files.filter((f) => f.path.startsWith('src/db/migrations/'))).toHaveLength(2);
  });
});
