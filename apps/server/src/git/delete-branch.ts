import { mkdir } from 'node:fs/promises';
import { isValidBranchName } from '@slipway/contracts';
import { pushError } from './classify.ts';
import { remoteAccess, type GitRemote } from './credentials.ts';
import { GitError } from './errors.ts';
import type { GitLogger } from './git-runner.ts';
import { withLock } from './lock.ts';
import { Mirror } from './mirror.ts';
import { makeScrubber } from './scrub.ts';

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
  const deadline = Date.now() + req.timeoutMs;
  const access = remoteAccess(req.remote);
  const scrub = makeScrubber(access.secrets);
  const mirror = new Mirror({ mirrorsDir: req.mirrorsDir, access, scrub, deadline, timeoutMs: req.timeoutMs, log: req.log });
  try {
    await mkdir(req.mirrorsDir, { recursive: true });
    return await withLock(mirror.lockPath, deadline, async () => {
      await mirror.ensure();
      const head = (await mirror.remoteHeads([req.branch])).get(req.branch);
      if (!head) return { deleted: null };
      const ref = `refs/heads/${req.branch}`;
      const push = await mirror.run(['push', '--porcelain', '--no-verify', `--force-with-lease=${ref}:${head}`, 'origin', `:${ref}`], { okCodes: [1, 128] });
      if (push.code !== 0) throw pushError(req.branch, push.stdout.toString('utf8'), push.stderr);
      return { deleted: head };
    });
  } catch (err) {
    if (err instanceof GitError) throw err;
    throw new GitError('git_failed', scrub(`deleting ${req.branch} failed: ${(err as Error).message}`));
  }
}
