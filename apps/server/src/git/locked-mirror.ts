import { mkdir } from 'node:fs/promises';
import { remoteAccess, type GitRemote, type RemoteAccess } from './credentials.ts';
import { GitError } from './errors.ts';
import type { GitLogger } from './git-runner.ts';
import { withLock } from './lock.ts';
import { Mirror } from './mirror.ts';
import { makeScrubber } from './scrub.ts';

export interface LockedMirrorRequest {
  remote: GitRemote;
  branch: string;
  mirrorsDir: string;
  timeoutMs: number;
  git?: string;
  log?: GitLogger;
}

/**
 * Runs `work` on the remote's cached blobless mirror, ensured and held under its lock, within
 * `timeoutMs`. A GitError leaves as it is; anything else (a file system error) leaves as a
 * GitError `git_failed` with a scrubbed message: "`<doing>` <branch> failed: …".
 */
export async function withLockedMirror<T>(
  req: LockedMirrorRequest,
  doing: string,
  work: (mirror: Mirror, access: RemoteAccess) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + req.timeoutMs;
  const access = remoteAccess(req.remote);
  const scrub = makeScrubber(access.secrets);
  const mirror = new Mirror({ mirrorsDir: req.mirrorsDir, access, scrub, deadline, timeoutMs: req.timeoutMs, git: req.git, log: req.log });
  try {
    await mkdir(req.mirrorsDir, { recursive: true });
    return await withLock(mirror.lockPath, deadline, async () => {
      await mirror.ensure();
      return await work(mirror, access);
    });
  } catch (err) {
    if (err instanceof GitError) throw err;
    throw new GitError('git_failed', scrub(`${doing} ${req.branch} failed: ${(err as Error).message}`));
  }
}
