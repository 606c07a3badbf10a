import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBareRepo } from './local-repos.ts';
import { mirrorDirFor } from './mirror.ts';
import { publishModuleBranch, type PublishRequest } from './publish.ts';
import { git, tempDir, failure } from './test-helpers.ts';

/** Publishing to local bare repositories (a path remote): the tree, the lease, idempotence, refusals. */

const tmp = tempDir('publish');
const reposDir = join(tmp.dir, 'repos');
const mirrorsDir = join(tmp.dir, 'mirrors');
const BASE_FILES = [
  { path: 'README.md', content: '# backend\n' },
  { path: 'src/app.ts', content: 'export const app = 1;\n' },
  { path: 'src/modules/index.ts', content: 'export {};\n' },
  { path: 'bin/run', content: '#!/bin/sh\necho run\n' },
];
let n = 0;

async function newRepo(): Promise<string> {
  const { path } = await ensureBareRepo(reposDir, `app-${++n}`, { initialFiles: BASE_FILES });
  // One executable file, to check modes survive.
  const work = join(tmp.dir, `seed-${n}`);
  git(tmp.dir, ['clone', '-q', path, work]);
  chmodSync(join(work, 'bin/run'), 0o755);
  git(work, ['commit', '-qam', 'executable']);
  git(work, ['push', '-q', 'origin', 'main']);
  return path;
}

function request(url: string, over: Partial<PublishRequest> = {}): PublishRequest {
  return {
    remote: { url },
    baseBranch: 'main',
    branch: 'module/products',
    files: [
      { path: 'src/modules/products/products.routes.ts', content: 'export const routes = [];\n' },
      { path: 'src/modules/products/products.service.ts', content: 'export class ProductsService {}\n' },
    ],
    message: 'Add module products',
    author: { name: 'Slipway', email: 'slipway@example.com' },
    mirrorsDir,
    timeoutMs: 20_000,
    ...over,
  };
}


/** Alive and not a zombie (a killed orphan waits for its reaper a moment). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

const tree = (repo: string, rev: string) => git(repo, ['ls-tree', '-r', '--format=%(objectmode) %(path)', rev]).split('\n');

afterAll(() => tmp.cleanup());

describe('publishModuleBranch over a local path', () => {
  it('creates the branch from main: exactly the base tree plus the generated files, main untouched', async () => {
    const repo = await newRepo();
    const mainBefore = git(repo, ['rev-parse', 'main']);
    const r = await publishModuleBranch(request(repo));
    expect(r).toMatchObject({ previous: null, created: true, changedFiles: 2, url: repo });
    expect(git(repo, ['rev-parse', 'module/products'])).toBe(r.commit);
    expect(git(repo, ['rev-parse', 'main'])).toBe(mainBefore);
    expect(git(repo, ['rev-parse', `${r.commit}^`])).toBe(mainBefore);
    expect(tree(repo, r.commit).sort()).toEqual(
      [...tree(repo, 'main'), '100644 src/modules/products/products.routes.ts', '100644 src/modules/products/products.service.ts'].sort(),
    );
    expect(git(repo, ['show', `${r.commit}:src/modules/products/products.service.ts`])).toBe('export class ProductsService {}');
    expect(git(repo, ['log', '-1', '--format=%an <%ae>|%s', r.commit])).toBe('Slipway <slipway@example.com>|Add module products');
    // The mirror is bare and blobless: no work tree, and base blobs were never fetched.
    const mirror = mirrorDirFor(mirrorsDir, repo);
    expect(git(mirror, ['rev-parse', '--is-bare-repository'])).toBe('true');
    const missing = git(mirror, ['rev-list', '--objects', '--missing=print', 'refs/remotes/origin/main']).split('\n').filter((l) => l.startsWith('?'));
    expect(missing).toHaveLength(BASE_FILES.length);
  });

  it('an update adds one commit on top; republishing the same files adds none', async () => {
    const repo = await newRepo();
    const first = await publishModuleBranch(request(repo));
    const again = await publishModuleBranch(request(repo));
    expect(again).toMatchObject({ commit: first.commit, previous: first.commit, created: false, changedFiles: 0 });
    expect(git(repo, ['rev-parse', 'module/products'])).toBe(first.commit);

    const files = [
      { path: 'src/modules/products/products.routes.ts', content: 'export const routes = ["list"];\n' },
      { path: 'src/modules/products/products.service.ts', content: 'export class ProductsService {}\n' },
    ];
    const update = await publishModuleBranch(request(repo, { files, expectedHead: first.commit, message: 'Update module products' }));
    expect(update).toMatchObject({ previous: first.commit, created: false, changedFiles: 1 });
    expect(git(repo, ['rev-parse', `${update.commit}^`])).toBe(first.commit);
    expect(git(repo, ['rev-list', '--count', `main..${update.commit}`])).toBe('2');
    // A retry after a crash (the job still holds the old expectedHead) finds its work done.
    const retry = await publishModuleBranch(request(repo, { files, expectedHead: first.commit }));
    expect(retry).toMatchObject({ commit: update.commit, changedFiles: 0 });
  });

  it('keeps the mode of a file it replaces, and builds on the module branch, not on a moved main', async () => {
    const repo = await newRepo();
    const first = await publishModuleBranch(request(repo, { files: [{ path: 'bin/run', content: '#!/bin/sh\necho module\n' }] }));
    expect(tree(repo, first.commit)).toContain('100755 bin/run');
    // main moves on; an update of the module stays on its branch.
    const work = join(tmp.dir, `work-${n}`);
    git(tmp.dir, ['clone', '-q', repo, work]);
    writeFileSync(join(work, 'NEWS.md'), 'news\n');
    git(work, ['add', '.']);
    git(work, ['commit', '-qm', 'news']);
    git(work, ['push', '-q', 'origin', 'main']);
    const second = await publishModuleBranch(request(repo, { files: [{ path: 'bin/run', content: '#!/bin/sh\necho v2\n' }] }));
    expect(git(repo, ['rev-parse', `${second.commit}^`])).toBe(first.commit);
    // A new module branch is cut from the new main (the mirror fetched it).
    const other = await publishModuleBranch(request(repo, { branch: 'module/orders' }));
    expect(git(repo, ['rev-parse', `${other.commit}^`])).toBe(git(repo, ['rev-parse', 'main']));
    expect(tree(repo, other.commit)).toContain('100644 NEWS.md');
  });

  it('a new branch whose files equal the base points at the base head (no empty commit)', async () => {
    const repo = await newRepo();
    const r = await publishModuleBranch(request(repo, { files: [{ path: 'README.md', content: '# backend\n' }] }));
    expect(r).toMatchObject({ created: true, changedFiles: 0, commit: git(repo, ['rev-parse', 'main']) });
    expect(git(repo, ['rev-parse', 'module/products'])).toBe(r.commit);
  });

  it('concurrent_update when the branch moved since expectedHead, or exists when it should not', async () => {
    const repo = await newRepo();
    const first = await publishModuleBranch(request(repo));
    const stale = git(repo, ['rev-parse', 'main']);
    const other = [{ path: 'src/modules/products/x.ts', content: 'x\n' }];
    const moved = await failure(publishModuleBranch(request(repo, { files: other, expectedHead: stale })));
    expect(moved.code).toBe('concurrent_update');
    expect(moved.message).toContain(first.commit);
    const exists = await failure(publishModuleBranch(request(repo, { files: other, expectedHead: null })));
    expect(exists.code).toBe('concurrent_update');
    expect(git(repo, ['rev-parse', 'module/products'])).toBe(first.commit);
  });

  it('serialises concurrent publishes to the same mirror', async () => {
    const repo = await newRepo();
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((s) => publishModuleBranch(request(repo, { branch: `module/${s}`, files: [{ path: `src/modules/${s}/index.ts`, content: `${s}\n` }] }))),
    );
    for (const [i, s] of ['a', 'b', 'c', 'd'].entries()) expect(git(repo, ['rev-parse', `module/${s}`])).toBe(results[i]?.commit);
    expect(existsSync(join(mirrorsDir, `${repo}.lock`))).toBe(false);
  });

  it('push_rejected with the hook’s reason; branch_protected when the remote says so', async () => {
    const repo = await newRepo();
    const hook = join(repo, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "modules are frozen until Monday" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const rejected = await failure(publishModuleBranch(request(repo)));
    expect(rejected.code).toBe('push_rejected');
    expect(rejected.message).toContain('modules are frozen until Monday');
    writeFileSync(hook, '#!/bin/sh\necho "GH006: Protected branch update failed for refs/heads/module/products." >&2\nexit 1\n');
    const protectedBranch = await failure(publishModuleBranch(request(repo)));
    expect(protectedBranch.code).toBe('branch_protected');
    expect(() => git(repo, ['rev-parse', '--verify', '-q', 'refs/heads/module/products'])).toThrow();
  });

  it('repo_not_found for a missing repository; unsafe_path and invalid_branch before any git runs', async () => {
    expect((await failure(publishModuleBranch(request(join(reposDir, 'missing.git'))))).code).toBe('repo_not_found');
    const repo = await newRepo();
    for (const path of ['../x', 'src/../../x', '/etc/passwd', '.git/config', 'src/.GIT/hooks/pre-commit', 'a\\b', '']) {
      const err = await failure(publishModuleBranch(request(repo, { files: [{ path, content: 'x' }] })));
      expect(err.code, path).toBe('unsafe_path');
    }
    // Paths that would replace a directory or need a file to be a directory.
    for (const path of ['src', 'src/app.ts/x.ts', 'README.md/x']) {
      const err = await failure(publishModuleBranch(request(repo, { files: [{ path, content: 'x' }] })));
      expect(err.code, path).toBe('unsafe_path');
    }
    const dup = await failure(publishModuleBranch(request(repo, { files: [{ path: 'a.ts', content: '1' }, { path: './a.ts', content: '2' }] })));
    expect(dup.code).toBe('unsafe_path');
    for (const branch of ['module/bad name', 'module/..x', '-x', 'module/x.lock', 'module/a~1', 'module/', 'main']) {
      expect((await failure(publishModuleBranch(request(repo, { branch })))).code, branch).toBe('invalid_branch');
    }
    expect((await failure(publishModuleBranch(request(repo, { baseBranch: 'ma in' })))).code).toBe('invalid_branch');
    expect(git(repo, ['for-each-ref', '--format=%(refname)', 'refs/heads/module'])).toBe('');
  });

  it('timeout kills git and its children when the remote hangs', async () => {
    const repo = await newRepo();
    const hook = join(repo, 'hooks', 'pre-receive');
    writeFileSync(hook, `#!/bin/sh\necho $$ > '${join(tmp.dir, 'hook.pid')}'\nsleep 30\n`);
    chmodSync(hook, 0o755);
    const err = await failure(publishModuleBranch(request(repo, { timeoutMs: 5000 })));
    expect(err.code).toBe('timeout');
    // The hook ran in git's process group: it was killed with it, not left sleeping.
    const pid = Number(readFileSync(join(tmp.dir, 'hook.pid'), 'utf8'));
    await new Promise((r) => setTimeout(r, 200));
    expect(running(pid)).toBe(false);
    expect(() => git(repo, ['rev-parse', '--verify', '-q', 'refs/heads/module/products'])).toThrow();
  });
});
