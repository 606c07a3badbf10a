import { isValidBranchName } from '@slipway/contracts';
import { pushError } from './classify.ts';
import type { GitRemote } from './credentials.ts';
import { GitError } from './errors.ts';
import type { GitLogger } from './git-runner.ts';
import { withLockedMirror } from './locked-mirror.ts';

export interface DeleteBranchRequest {
  remote: GitRemote;
  branch: string;
  mirrorsDir: string;
  timeoutMs: number;
  log?: GitLogger;
}

/**
 * Deletes `branch` on the remote, only if it still points where we last read it (a lease: a push
 * made meanwhile is not thrown away). Idempotent: a branch already gone is not an error. Returns
 * the head it deleted, or null. Throws GitError only.
 */
export async function deleteModuleBranch(req: DeleteBranchRequest): Promise<{ deleted: string | null }> {
  if (!isValidBranchName(req.branch)) throw new GitError('invalid_branch', `${JSON.stringify(req.branch)} is not a valid branch name`);
  return withLockedMirror(req, 'deleting', async (mirror) => {
    const head = (await mirror.remoteHeads([req.branch])).get(req.branch);
    if (!head) return { deleted: null };
    const ref = `refs/heads/${req.branch}`;
    const push = await mirror.run(['push', '--porcelain', '--no-verify', `--force-with-lease=${ref}:${head}`, 'origin', `:${ref}`], { okCodes: [1, 128] });
    if (push.code !== 0) throw pushError(req.branch, push.stdout.toString('utf8'), push.stderr);
    return { deleted: head };
  });
}
