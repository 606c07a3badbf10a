import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureBareRepo, localRepoPath } from './local-repos.ts';
import { PushEvents, hostedAppOf } from './push-events.ts';
import { git, tempDir } from './test-helpers.ts';

const tmp = tempDir('local-repos');
afterAll(() => tmp.cleanup());

describe('ensureBareRepo', () => {
  it('creates a bare repository with a first commit on main, once', async () => {
    const reposDir = join(tmp.dir, 'repos');
    const first = await ensureBareRepo(reposDir, 'backend', { initialFiles: [{ path: 'README.md', content: '# backend\n' }, { path: 'src/index.ts', content: 'x\n' }] });
    expect(first).toEqual({ path: join(reposDir, 'backend.git'), created: true });
    expect(git(first.path, ['rev-parse', '--is-bare-repository'])).toBe('true');
    expect(git(first.path, ['ls-tree', '-r', '--name-only', 'main']).split('\n')).toEqual(['README.md', 'src/index.ts']);
    expect(git(first.path, ['symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
    expect(git(first.path, ['config', 'http.receivepack'])).toBe('true');
    const again = await ensureBareRepo(reposDir, 'backend', { initialFiles: [{ path: 'other', content: '' }] });
    expect(again.created).toBe(false);
    expect(git(first.path, ['rev-list', '--count', 'main'])).toBe('1');
    // Concurrent creation: one wins, the other finds it.
    const both = await Promise.all([ensureBareRepo(reposDir, 'frontend'), ensureBareRepo(reposDir, 'frontend')]);
    expect(both.filter((r) => r.created)).toHaveLength(1);
    expect(git(join(reposDir, 'frontend.git'), ['for-each-ref'])).toBe('');
    expect(() => localRepoPath(reposDir, '../etc')).toThrow();
  });
});

describe('hosted repositories and push events', () => {
  const reposDir = '/data/repos';
  it('names the app of a path or file:// URL inside reposDir only', () => {
    expect(hostedAppOf(reposDir, '/data/repos/backend.git')).toBe('backend');
    expect(hostedAppOf(reposDir, 'file:///data/repos/backend.git')).toBe('backend');
    expect(hostedAppOf(reposDir, '/data/repos/sub/backend.git')).toBeNull();
    expect(hostedAppOf(reposDir, '/elsewhere/backend.git')).toBeNull();
    expect(hostedAppOf(reposDir, 'http://127.0.0.1/git/backend.git')).toBeNull();
  });

  it('push event listeners are isolated', () => {
    const c = 'c'.repeat(40);
    const p = 'p'.repeat(40);
    const hub = new PushEvents();
    const got: string[] = [];
    hub.on(() => {
      throw new Error('boom');
    });
    const off = hub.on((e) => got.push(e.updates[0]?.after ?? ''));
    hub.emit({ app: 'backend', updates: [{ ref: 'refs/heads/main', before: p, after: c }] });
    off();
    hub.emit({ app: 'backend', updates: [{ ref: 'refs/heads/main', before: c, after: p }] });
    expect(got).toEqual([c]);
  });
});
