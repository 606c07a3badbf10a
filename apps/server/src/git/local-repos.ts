import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { commitStream, type Signature } from './commit-stream.ts';
import { GitError } from './errors.ts';
import { gitEnv, runGit, type GitLogger } from './git-runner.ts';
import { makeScrubber } from './scrub.ts';

/** Hosted repositories are named like applications: `<reposDir>/<app>.git`. */
export const APP_REPO_PATTERN = /^[a-z][a-z0-9-]{0,62}$/;

export function localRepoPath(reposDir: string, app: string): string {
  if (!APP_REPO_PATTERN.test(app)) throw new GitError('repo_not_found', `${JSON.stringify(app)} is not a repository name`);
  return join(reposDir, `${app}.git`);
}

export interface EnsureRepoOptions {
  /** Files of the first commit on `branch`; without them the repository starts empty. */
  initialFiles?: readonly { path: string; content: string | Buffer }[];
  branch?: string;
  message?: string;
  author?: Signature;
  timeoutMs?: number;
  log?: GitLogger;
}

const SLIPWAY: Signature = { name: 'Slipway', email: 'slipway@localhost' };

/**
 * Creates `<reposDir>/<app>.git` unless it exists: a bare repository, ready to be served over
 * smart HTTP (pushes allowed, partial clones allowed), its first commit written with
 * fast-import — no work tree. Built in a temporary directory and renamed, so a crash never
 * leaves half a repository behind.
 */
export async function ensureBareRepo(reposDir: string, app: string, opts: EnsureRepoOptions = {}): Promise<{ path: string; created: boolean }> {
  const path = localRepoPath(reposDir, app);
  if (existsSync(join(path, 'HEAD'))) return { path, created: false };
  await mkdir(reposDir, { recursive: true });
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  const branch = opts.branch ?? 'main';
  const run = (args: string[], cwd: string, input?: Buffer) =>
    runGit(args, { cwd, input, env: gitEnv(), timeoutMs: opts.timeoutMs ?? 30_000, scrub: makeScrubber(), log: opts.log });
  try {
    await run(['init', '--bare', '--quiet', `--initial-branch=${branch}`, tmp], reposDir);
    await appendFile(join(tmp, 'config'), '[http]\n\treceivepack = true\n[uploadpack]\n\tallowFilter = true\n\tallowAnySHA1InWant = true\n');
    if (opts.initialFiles?.length) {
      const files = opts.initialFiles.map((f) => ({ path: f.path, content: f.content, mode: '100644' as const }));
      const time = Math.floor(Date.now() / 1000);
      await run(['fast-import', '--quiet', '--done'], tmp, commitStream({ ref: `refs/heads/${branch}`, files, message: opts.message ?? 'Initial commit', author: opts.author ?? SLIPWAY, time }));
    }
    await rename(tmp, path);
    return { path, created: true };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (existsSync(join(path, 'HEAD'))) return { path, created: false };
    throw err;
  }
}
