import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBareRepo } from './local-repos.ts';
import { mergeFile, unifiedDiff } from './merge-file.ts';
import { publishModuleBranch, type PublishRequest } from './publish.ts';
import { readBranchFiles } from './read-files.ts';
import { failure, git, tempDir } from './test-helpers.ts';

/**
 * What a module update needs from the git layer (docs/modules.md): reading some files of a branch,
 * deleting files in a publish, and merge-file / diff outside any repository. Local bare repositories.
 */
const tmp = tempDir('read-files');
const reposDir = join(tmp.dir, 'repos');
const mirrorsDir = join(tmp.dir, 'mirrors');
afterAll(() => tmp.cleanup());

const publish = (url: string, over: Partial<PublishRequest>) =>
  publishModuleBranch({ remote: { url }, baseBranch: 'main', branch: 'module/parts', files: [], message: 'm', author: { name: 'S', email: 's@example.com' }, mirrorsDir, timeoutMs: 20_000, ...over });

describe('module branches: reading files, deleting files', () => {
  it('reads the asked files and then the ones `more` names, from one head; null head when the branch is absent', async () => {
    const { path } = await ensureBareRepo(reposDir, 'one', { initialFiles: [{ path: 'README.md', content: '# one\n' }] });
    const read = (paths: string[], more?: (f: ReadonlyMap<string, Buffer>) => string[]) => readBranchFiles({ remote: { url: path }, branch: 'module/parts', paths, more, mirrorsDir, timeoutMs: 20_000, maxFileBytes: 1000 });
    expect(await read(['a.ts'])).toEqual({ head: null, files: new Map() });

    const r = await publish(path, { files: [{ path: 'list.json', content: '["src/a.ts","src/missing.ts","src"]' }, { path: 'src/a.ts', content: 'a\n' }, { path: 'src/b.ts', content: 'b\n' }] });
    const seen: string[][] = [];
    const got = await read(['list.json', 'nope.ts'], (files) => {
      seen.push([...files.keys()]);
      return JSON.parse(files.get('list.json')!.toString('utf8'));
    });
    expect(seen).toEqual([['list.json']]);
    expect(got.head).toBe(r.commit);
    expect([...got.files.keys()].sort()).toEqual(['list.json', 'src/a.ts']); // a folder and a missing path are left out
    expect(got.files.get('src/a.ts')!.toString()).toBe('a\n');
    await expect(read(['list.json'], () => [])).resolves.toBeDefined();
    const big = await failure(readBranchFiles({ remote: { url: path }, branch: 'module/parts', paths: ['list.json'], mirrorsDir, timeoutMs: 20_000, maxFileBytes: 10 }));
    expect(big.code).toBe('unsafe_path');
  });

  it('deletes files in the same commit, skips paths that are not files, and commits nothing when nothing changes', async () => {
    const { path } = await ensureBareRepo(reposDir, 'two', { initialFiles: [{ path: 'README.md', content: '# two\n' }] });
    const first = await publish(path, { files: [{ path: 'src/a.ts', content: 'a\n' }, { path: 'src/old.ts', content: 'old\n' }] });
    const r = await publish(path, { files: [{ path: 'src/a.ts', content: 'a2\n' }], deletes: ['src/old.ts', 'src/never.ts', 'src'], expectedHead: first.commit });
    expect(r.previous).toBe(first.commit);
    expect(r.changedFiles).toBe(2);
    expect(git(path, ['ls-tree', '-r', '--name-only', r.commit]).split('\n').sort()).toEqual(['README.md', 'src/a.ts']);
    expect(git(path, ['rev-parse', `${r.commit}^`])).toBe(first.commit);
    // Deleting what is gone already and writing the same content: no commit.
    const again = await publish(path, { files: [{ path: 'src/a.ts', content: 'a2\n' }], deletes: ['src/old.ts'] });
    expect(again.commit).toBe(r.commit);
    expect((await failure(publish(path, { files: [{ path: 'src/a.ts', content: 'x' }], deletes: ['src/a.ts'] }))).code).toBe('unsafe_path');
    expect((await failure(publish(path, { files: [{ path: 'src/a.ts', content: 'x' }], deletes: ['../etc/passwd'] }))).code).toBe('unsafe_path');
    // The lease: a branch moved since it was read is not overwritten.
    expect((await failure(publish(path, { files: [{ path: 'src/a.ts', content: 'a3\n' }], expectedHead: first.commit }))).code).toBe('concurrent_update');
  });

  it('merge-file and diff work on plain texts', async () => {
    const clean = await mergeFile('1\n2\n3\n4\nmine\n', '1\n2\n3\n4\n5\n', 'one\n2\n3\n4\n5\n', { ours: 'o', base: 'b', theirs: 't' });
    expect(clean).toEqual({ content: 'one\n2\n3\n4\nmine\n', conflicts: 0 });
    const clash = await mergeFile('x\n', 'b\n', 'y\n', { ours: 'o', base: 'b', theirs: 't' });
    expect(clash).toEqual({ content: '<<<<<<< o\nx\n=======\ny\n>>>>>>> t\n', conflicts: 1 });
    expect(await unifiedDiff('a.ts', 'same\n', 'same\n')).toEqual({ diff: '', truncated: false });
    const long = await unifiedDiff('big.ts', null, 'line\n'.repeat(10_000), 1000);
    expect(long.truncated).toBe(true);
    expect(long.diff.length).toBeLessThanOrEqual(1000);
    expect(long.diff.endsWith('\n')).toBe(true);
  });
});
