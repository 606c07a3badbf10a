import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBareRepo } from '../git/index.ts';
import { DIALECTS, startTestServer, type TestServer } from '../test-support/server.ts';
import { call } from '../test-support/http.ts';

/**
 * A member cannot make Slipway commit anywhere but on their module's own branch: the attack of
 * issue #10 (a module stacked on another member's `module/orders`, one pushed onto `main`) is a 422
 * naming the field, and no repository moves.
 */

const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
const module = (name: string, applications: string[], gitSettings?: Record<string, unknown>) => ({
  name,
  fields: [{ name: 'title', type: 'string', required: true }],
  applications,
  ...(gitSettings ? { git: gitSettings } : {}),
});

async function setUp(dir: string, dialect: (typeof DIALECTS)[number], env: Record<string, string> = {}) {
  const repos = join(dir, 'remotes');
  for (const app of ['backend', 'legacy']) await ensureBareRepo(repos, app, { initialFiles: [{ path: 'README.md', content: `# ${app}\n` }] });
  // legacy's base branch is `develop`.
  const legacy = join(repos, 'legacy.git');
  git(legacy, 'branch', 'develop', 'main');
  writeFileSync(
    join(dir, 'apps.yaml'),
    `applications:\n  - id: backend\n    repoUrl: ${join(repos, 'backend.git')}\n  - id: legacy\n    repoUrl: ${legacy}\n    baseBranch: develop\n`,
  );
  // Reads what was pushed from the answer: create/update wait for the publish (publish-live.test.ts covers answering at once).
  const s = await startTestServer(dialect, { SLIPWAY_CONFIG: join(dir, 'apps.yaml'), SLIPWAY_PUBLISH_WAIT_MS: '60000', ...env });
  await s.ctx.auth.addUser('alice@example.com', 'alice-password', 'member');
  await s.ctx.auth.addUser('mallory@example.com', 'mallory-password', 'member');
  return { s, repos, alice: await s.ctx.auth.createToken('alice@example.com', 't'), mallory: await s.ctx.auth.createToken('mallory@example.com', 't') };
}

describe.each(DIALECTS)('module branches on %s', (dialect) => {
  let s: TestServer;
  let repos: string;
  let alice: string;
  let mallory: string;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-module-branches-'));
  const refs = (app: string) => git(join(repos, `${app}.git`), 'for-each-ref', '--format=%(objectname) %(refname)');

  beforeAll(async () => {
    ({ s, repos, alice, mallory } = await setUp(dir, dialect));
  });
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a module on another member's branch, on a base branch, or stacked on a module branch: 422 naming the field, nothing stored or pushed", async () => {
    const orders = await call(s.url, 'POST', '/api/admin/modules', { token: alice, body: module('Orders', ['backend']) });
    expect(orders.status).toBe(201);
    expect(orders.body.branches).toEqual([{ application: 'backend', branch: 'module/orders', commit: expect.any(String) }]);
    const before = refs('backend');

    const attempts: [Record<string, unknown>, string, RegExp][] = [
      [{ branchName: 'module/orders' }, 'git.branchName', /must be 'module\/evil'/],
      [{ branchName: 'main' }, 'git.branchName', /must be 'module\/evil'/],
      [{ createBranch: false }, 'git.createBranch', /never straight onto a base branch/],
      [{ baseBranch: 'module/orders' }, 'git.baseBranch', /is a module branch/],
      [{ baseBranch: 'release' }, 'git.baseBranch', /configured base branch of each target application \(backend: 'main'\)/],
    ];
    for (const [gitSettings, field, message] of attempts) {
      for (const path of ['/api/admin/modules', '/api/admin/modules/preview']) {
        const r = await call(s.url, 'POST', path, { token: mallory, body: module('Evil', ['backend'], gitSettings) });
        expect(r.status, `${path} ${JSON.stringify(gitSettings)}`).toBe(422);
        expect(r.body.error).toBe('invalid_input');
        expect(r.body.details).toEqual([{ field, message: expect.stringMatching(message) }]);
      }
    }
    expect(refs('backend')).toBe(before);
    expect((await call(s.url, 'GET', '/api/admin/modules', { token: mallory })).body.data).toEqual([]);
  });

  it("refuses an update that moves a module off its own branch, and keeps the module as it was", async () => {
    const own = await call(s.url, 'POST', '/api/admin/modules', { token: mallory, body: module('Coupons', ['backend']) });
    expect(own.status).toBe(201);
    const before = refs('backend');
    for (const [gitSettings, field] of [
      [{ branchName: 'module/orders' }, 'git.branchName'],
      [{ branchName: 'main' }, 'git.branchName'],
      [{ baseBranch: 'module/orders' }, 'git.baseBranch'],
    ] as const) {
      const r = await call(s.url, 'PUT', '/api/admin/modules/coupons', { token: mallory, body: module('Coupons', ['backend'], gitSettings) });
      expect(r.status).toBe(422);
      expect(r.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
    }
    expect(refs('backend')).toBe(before);
    const kept = await call(s.url, 'GET', '/api/admin/modules/coupons', { token: mallory });
    expect(kept.body.git).toMatchObject({ branchName: 'module/coupons', baseBranch: 'main' });
  });

  it("grows a module from its target's configured base branch when none is given; targets that disagree must be settled", async () => {
    const r = await call(s.url, 'POST', '/api/admin/modules', { token: alice, body: module('Invoices', ['legacy']) });
    expect(r.status).toBe(201);
    expect(r.body.module.git).toMatchObject({ branchName: 'module/invoices', baseBranch: 'develop' });
    const legacy = join(repos, 'legacy.git');
    expect(git(legacy, 'rev-parse', 'module/invoices^')).toBe(git(legacy, 'rev-parse', 'develop'));
    // `main` exists in legacy, but it is not legacy's base branch.
    const wrong = await call(s.url, 'POST', '/api/admin/modules', { token: alice, body: module('Receipts', ['legacy'], { baseBranch: 'main' }) });
    expect(wrong.body.details).toEqual([{ field: 'git.baseBranch', message: expect.stringContaining("legacy: 'develop'") }]);
    const both = await call(s.url, 'POST', '/api/admin/modules/preview', { token: alice, body: module('Receipts', ['backend', 'legacy']) });
    expect(both.status).toBe(422);
    expect(both.body.details.map((d: { field: string }) => d.field)).toEqual(['git.baseBranch']);
  });
});

describe('module branches under a configured prefix (SLIPWAY_MODULE_BRANCH_PREFIX)', () => {
  let s: TestServer;
  let repos: string;
  let alice: string;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-module-prefix-'));

  beforeAll(async () => {
    ({ s, repos, alice } = await setUp(dir, 'sqlite', { SLIPWAY_MODULE_BRANCH_PREFIX: 'team/' }));
  });
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes on <prefix><slug> by default, and refuses module/<slug> then', async () => {
    const r = await call(s.url, 'POST', '/api/admin/modules', { token: alice, body: module('Orders', ['backend']) });
    expect(r.status).toBe(201);
    expect(r.body.branches.map((b: { branch: string }) => b.branch)).toEqual(['team/orders']);
    expect(git(join(repos, 'backend.git'), 'rev-parse', '--verify', '-q', 'team/orders')).toBe(r.body.branches[0].commit);
    const old = await call(s.url, 'POST', '/api/admin/modules/preview', { token: alice, body: module('Carts', ['backend'], { branchName: 'module/carts' }) });
    expect(old.body.details).toEqual([{ field: 'git.branchName', message: "must be 'team/carts': a module is published on its own branch only" }]);
  });
});
