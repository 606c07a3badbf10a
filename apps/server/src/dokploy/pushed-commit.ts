import { gitEnv, runGit } from '../git/git-runner.ts';
import { makeScrubber } from '../git/scrub.ts';
import type { ChangedPaths, PushedCommit } from './dokploy-answers.ts';

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/** Bound of the paths sent: enough for any watch path to match, never a megabyte body. */
export const MAX_CHANGED_PATHS = 3000;

export interface PushedCommitRequest {
  /** A repository holding the commit (the hosted bare repository). */
  repoDir: string;
  commit: string;
  branch: string;
  /** The application's base branch (`main`): a module branch's changes are counted from it. */
  baseBranch: string;
  /** The commit deployed before on this branch, when the caller knows it. */
  previous?: string;
  timeoutMs?: number;
}

/**
 * The commit as Dokploy's deploy webhook wants it: its id, its message, and the paths changed
 * since the previous deployed commit (when it is an ancestor) — else since the branch left the
 * base branch (a module branch), else since the commit's first parent, else its whole tree.
 */
export async function pushedCommit(req: PushedCommitRequest): Promise<PushedCommit> {
  if (!SHA.test(req.commit)) throw new Error(`not a commit id: ${JSON.stringify(req.commit)}`);
  const git = async (args: string[], okCodes: number[] = []) =>
    runGit(args, { cwd: req.repoDir, env: gitEnv(), timeoutMs: req.timeoutMs ?? 15_000, scrub: makeScrubber(), okCodes });
  const text = async (args: string[]) => {
    const r = await git(args, [1, 128]);
    return r.code === 0 ? r.stdout.toString('utf8').trim() : '';
  };
  const isAncestor = async (sha: string) => (await git(['merge-base', '--is-ancestor', sha, req.commit], [1, 128])).code === 0;

  let base = '';
  if (req.previous && SHA.test(req.previous) && req.previous !== req.commit && (await isAncestor(req.previous))) base = req.previous;
  if (!base && req.branch !== req.baseBranch) {
    const mergeBase = await text(['merge-base', req.commit, `refs/heads/${req.baseBranch}`]);
    if (mergeBase !== req.commit) base = mergeBase;
  }
  if (!base) base = await text(['rev-parse', '--verify', '--quiet', `${req.commit}^1`]);
  const diff = base
    ? await git(['diff-tree', '-r', '-z', '--no-renames', '--name-status', base, req.commit])
    : await git(['diff-tree', '-r', '-z', '--no-renames', '--name-status', '--root', '--no-commit-id', req.commit]);
  const message = (await git(['log', '-1', '--format=%B', req.commit])).stdout.toString('utf8').trim();
  return { id: req.commit, message: message || `Deploy ${req.commit.slice(0, 7)}`, changes: parseNameStatus(diff.stdout.toString('utf8')) };
}

/** `git diff-tree -z --name-status` output → paths by kind of change, at most MAX_CHANGED_PATHS. Pure. */
export function parseNameStatus(out: string, max = MAX_CHANGED_PATHS): ChangedPaths {
  const changes: ChangedPaths = { added: [], modified: [], removed: [] };
  const parts = out.split('\0');
  let count = 0;
  for (let i = 0; i + 1 < parts.length && count < max; i += 2) {
    const status = parts[i]!;
    const path = parts[i + 1]!;
    if (!status || !path) continue;
    const kind = status[0] === 'A' ? 'added' : status[0] === 'D' ? 'removed' : 'modified';
    changes[kind].push(path);
    count++;
  }
  return changes;
}
