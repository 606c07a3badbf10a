/**
 * Promote's merge in a hosted bare repository, with real git: a merge commit when the base moved
 * without conflict; a conflict refuses it (409, naming the files) and moves nothing; a branch merged
 * already changes nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBareRepo, type PushEvent } from '../git/index.ts';
import { git } from '../git/test-helpers.ts';
import { Promoter, PromoteError } from './promote.ts';

describe('Promote: merging a hosted repository', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-promote-'));
  const repos = join(dir, 'repos');
  const work = join(dir, 'work');
  const pushes: PushEvent[] = [];
  const env = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' };
  const promoter = new Promoter({
    module: async () => undefined,
    applications: { get: () => undefined },
    reposDir: repos,
    previewUrl: async () => null,
    tearDown: async () => undefined,
    onPush: (e) => pushes.push(e),
  });
  const bare = () => join(repos, 'app.git');
  const commitOn = (branch: string, file: string, content: string) => {
    git(work, ['checkout', '-q', '-B', branch, `origin/${branch}`]);
    writeFileSync(join(work, file), content);
    git(work, ['add', file], env);
    git(work, ['commit', '-q', '-m', `${branch}: ${file}`], env);
    git(work, ['push', '-q', 'origin', `${branch}:${branch}`], env);
    git(work, ['fetch', '-q', 'origin'], env);
  };

  beforeAll(async () => {
    await ensureBareRepo(repos, 'app', { initialFiles: [{ path: 'README.md', content: '# app\n' }, { path: 'shared.txt', content: 'one\n' }] });
    git(dir, ['clone', '-q', bare(), work]);
    git(work, ['push', '-q', 'origin', 'main:module/ok', 'main:module/clash'], env);
    git(work, ['fetch', '-q', 'origin']);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a merge commit when the base moved, and a conflict refuses it with the files', async () => {
    commitOn('module/ok', 'ok.txt', 'ok\n');
    commitOn('module/clash', 'shared.txt', 'module\n');
    commitOn('main', 'shared.txt', 'main\n');
    const before = git(bare(), ['rev-parse', 'main']);

    const merged = await promoter.merge('app', 'module/ok', 'main', 'ok');
    expect(merged.fastForward).toBe(false);
    expect(git(bare(), ['rev-parse', 'main'])).toBe(merged.commit);
    expect(git(bare(), ['rev-list', '--parents', '-n', '1', merged.commit]).split(' ')).toHaveLength(3);
    expect(git(bare(), ['log', '-1', '--format=%s %an', merged.commit])).toBe("Merge module/ok (module 'ok') into main Slipway");
    expect(pushes).toEqual([{ app: 'app', updates: [{ ref: 'refs/heads/main', before, after: merged.commit }] }]);
    // No worktree left behind.
    expect(git(bare(), ['worktree', 'list']).split('\n')).toHaveLength(1);

    const err = await promoter.merge('app', 'module/clash', 'main', 'clash').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PromoteError);
    expect([(err as PromoteError).status, (err as PromoteError).code, (err as PromoteError).details]).toEqual([409, 'merge_conflict', [{ field: 'shared.txt', message: 'conflict' }]]);
    expect(git(bare(), ['rev-parse', 'main'])).toBe(merged.commit);
    expect(git(bare(), ['worktree', 'list']).split('\n')).toHaveLength(1);

    // Merged already: nothing moves.
    expect(await promoter.merge('app', 'module/ok', 'main', 'ok')).toEqual({ commit: merged.commit, fastForward: null });
    expect(pushes).toHaveLength(1);
  });
});
