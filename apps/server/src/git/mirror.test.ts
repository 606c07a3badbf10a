import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isLocalTransport, localUploadPack, mirrorDirFor } from './mirror.ts';
import { publishModuleBranch } from './publish.ts';
import { readBranchFolder } from './read-folder.ts';
import { git, tempDir } from './test-helpers.ts';

/**
 * The blobless mirror of a local target whose own config does not allow filters (git strips
 * GIT_CONFIG_* from a local upload-pack's environment, so only its command line can).
 */

const tmp = tempDir('mirror');
const FILES = 60;
let n = 0;

/** A plain `git init --bare` target (no uploadpack.allowFilter), with FILES files on main. */
function plainTarget(): string {
  const id = ++n;
  const bare = join(tmp.dir, `target-${id}.git`);
  git(tmp.dir, ['init', '-q', '--bare', '-b', 'main', bare]);
  const work = join(tmp.dir, `work-${id}`);
  git(tmp.dir, ['clone', '-q', bare, work]);
  for (let i = 0; i < FILES; i++) {
    mkdirSync(join(work, 'src', `part${i % 6}`), { recursive: true });
    writeFileSync(join(work, 'src', `part${i % 6}`, `file${i}.ts`), `export const v${i} = ${i};\n`);
  }
  mkdirSync(join(work, 'templates', 'demo'), { recursive: true });
  writeFileSync(join(work, 'templates', 'demo', 'a.eta'), 'a\n');
  writeFileSync(join(work, 'templates', 'demo', 'b.eta'), 'b\n');
  git(work, ['add', '.']);
  git(work, ['commit', '-qm', 'base']);
  git(work, ['push', '-q', 'origin', 'main']);
  expect(() => git(bare, ['config', '--get', 'uploadpack.allowFilter'])).toThrow();
  return bare;
}

/** Blobs the mirror holds itself (promised, missing ones are not listed). */
function localBlobs(mirror: string): number {
  return git(mirror, ['cat-file', '--batch-all-objects', '--batch-check'])
    .split('\n')
    .filter((l) => / blob /.test(l)).length;
}

const files = [
  { path: 'src/modules/products/products.routes.ts', content: 'export const routes = [];\n' },
  { path: 'src/modules/products/products.service.ts', content: 'export class ProductsService {}\n' },
];

afterAll(() => tmp.cleanup());

describe('blobless mirror of a local target', () => {
  it.each([
    ['a path', (p: string) => p],
    ['a file:// URL', (p: string) => `file://${p}`],
  ])('over %s: publishing fetches no blob of the base, whatever the target config says', async (_, urlOf) => {
    const target = plainTarget();
    const url = urlOf(target);
    const mirrorsDir = join(tmp.dir, `mirrors-${n}`);
    const r = await publishModuleBranch({
      remote: { url },
      baseBranch: 'main',
      branch: 'module/products',
      files,
      message: 'Add module products',
      author: { name: 'Slipway', email: 'slipway@example.com' },
      mirrorsDir,
      timeoutMs: 20_000,
    });
    expect(git(target, ['rev-parse', 'module/products'])).toBe(r.commit);
    const mirror = mirrorDirFor(mirrorsDir, url);
    // Only the two blobs it wrote itself; without the filter it would hold all FILES + 2 + 2.
    expect(localBlobs(mirror)).toBe(files.length);
    const missing = git(mirror, ['rev-list', '--objects', '--missing=print', 'refs/remotes/origin/main']).split('\n').filter((l) => l.startsWith('?'));
    expect(missing).toHaveLength(FILES + 2);
  });

  it('a folder read fetches only that folder’s blobs, lazily, from such a target', async () => {
    const target = plainTarget();
    const mirrorsDir = join(tmp.dir, `mirrors-${n}`);
    const read = await readBranchFolder({ remote: { url: target }, branch: 'main', folder: 'templates/demo', mirrorsDir, timeoutMs: 20_000, maxFiles: 10, maxFileBytes: 1000 });
    expect(read?.map((f) => [f.path, f.content.toString()])).toEqual([
      ['a.eta', 'a\n'],
      ['b.eta', 'b\n'],
    ]);
    expect(localBlobs(mirrorDirFor(mirrorsDir, target))).toBe(2);
  });
});

describe('which remotes get the local upload-pack', () => {
  it('paths and file:// URLs; never http(s), ssh or scp-like remotes (their server runs its own)', () => {
    for (const u of ['/srv/git/app.git', './app.git', 'app.git', 'file:///srv/git/app.git', 'FILE:///x', 'C/x:y']) expect(isLocalTransport(u), u).toBe(true);
    for (const u of ['https://github.com/a/b.git', 'http://h/x', 'ssh://git@h/x', 'git@github.com:a/b.git', 'host:path/x', 'git://h/x']) expect(isLocalTransport(u), u).toBe(false);
    expect(localUploadPack('/srv/x')).toEqual([['remote.origin.uploadpack', 'git -c uploadpack.allowFilter=true upload-pack']]);
    expect(localUploadPack('https://h/x')).toEqual([]);
  });
});
