import { describe, expect, it } from 'vitest';
import { checkSignature, commitStream, quotePath } from './commit-stream.ts';
import { blobId, inspectTargets, parseLsTree, pathsToInspect } from './tree-check.ts';

describe('tree checks', () => {
  const ls = [
    '040000 tree 1111111111111111111111111111111111111111\tsrc',
    '100755 blob 2222222222222222222222222222222222222222\tsrc/run.sh',
    '120000 blob 3333333333333333333333333333333333333333\tlink',
    '160000 commit 4444444444444444444444444444444444444444\tvendor/lib',
    '100644 blob 5555555555555555555555555555555555555555\tREADME.md',
    '040000 tree 6666666666666666666666666666666666666666\tvendor',
  ].join('\0');
  const entries = parseLsTree(`${ls}\0`);

  it('compares content by blob id, the way git names blobs', () => {
    expect(blobId('hello\n')).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    expect(blobId('')).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    const e = parseLsTree('100644 blob ce013625030ba8dba906f756967f9e9ca394464a\ta.txt\0');
    const same = inspectTargets(['a.txt'], e, new Map([['a.txt', 'hello\n']]));
    expect(same.changed).toEqual([]);
    expect(inspectTargets(['a.txt', 'b.txt'], e, new Map([['a.txt', 'hello!\n'], ['b.txt', '']])).changed).toEqual(['a.txt', 'b.txt']);
  });

  it('asks about each path and every directory above it', () => {
    expect(pathsToInspect(['src/a/b.ts', 'src/c.ts'])).toEqual(['src', 'src/a', 'src/a/b.ts', 'src/c.ts']);
  });

  it('keeps executable modes and refuses what would replace more than a file', () => {
    const r = inspectTargets(['src/run.sh', 'src/new.ts', 'README.md'], entries);
    expect(r).toEqual({ conflicts: [], modes: new Map([['src/run.sh', '100755'], ['README.md', '100644']]), changed: ['src/new.ts'] });
    const one = (p: string) => inspectTargets([p], entries).conflicts;
    expect(one('src')).toEqual(['src is a directory in the repository']);
    expect(one('link')).toEqual(['link is a symbolic link in the repository']);
    expect(one('link/x')).toEqual(['link/x needs link to be a directory, but it is a symbolic link']);
    expect(one('vendor/lib')).toEqual(['vendor/lib is a submodule in the repository']);
    expect(one('README.md/x')).toEqual(['README.md/x needs README.md to be a directory, but it is a file']);
    expect(inspectTargets(['gen', 'gen/x'], entries).conflicts).toEqual(['gen/x needs gen to be a directory, but it is a generated file']);
  });
});

describe('commitStream', () => {
  it('writes one commit on its parent with inline, quoted files', () => {
    const s = commitStream({
      ref: 'refs/slipway/publish',
      parent: 'f'.repeat(40),
      files: [{ path: 'src/"odd" name.ts', content: 'é\n', mode: '100644' }],
      message: 'Add module',
      author: { name: 'A B', email: 'a@b' },
      time: 1700000000,
    }).toString('utf8');
    expect(s).toBe(
      'commit refs/slipway/publish\nauthor A B <a@b> 1700000000 +0000\ncommitter A B <a@b> 1700000000 +0000\ndata 11\nAdd module\n\n' +
        `from ${'f'.repeat(40)}\nM 100644 inline "src/\\"odd\\" name.ts"\ndata 3\né\n\n\ndone\n`,
    );
    expect(quotePath('a\\b\nc')).toBe('"a\\\\b\\nc"');
  });

  it('refuses signatures that would forge commit headers', () => {
    expect(checkSignature({ name: 'X', email: 'x@y>\ncommitter Evil' }, 'author')).toMatch(/must not contain/);
    expect(checkSignature({ name: ' ', email: 'x@y' }, 'author')).toMatch(/empty/);
    expect(checkSignature({ name: 'Ann', email: 'ann@example.com' }, 'author')).toBeUndefined();
  });
});
