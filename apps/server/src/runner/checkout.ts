import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { gitEnv, runGit } from '../git/git-runner.ts';
import { makeScrubber } from '../git/scrub.ts';

const SHA = /^[0-9a-f]{40}$/;

/** The text of `path` in commit `sha` of a bare repository; undefined when the commit has no such file. */
export async function readFileAt(repoDir: string, sha: string, path: string): Promise<string | undefined> {
  if (!SHA.test(sha)) throw new Error(`not a commit id: ${JSON.stringify(sha)}`);
  const r = await runGit(['cat-file', 'blob', `${sha}:${path}`], { cwd: repoDir, env: gitEnv(), timeoutMs: 15_000, scrub: makeScrubber(), okCodes: [128] });
  return r.code === 0 ? r.stdout.toString('utf8') : undefined;
}

export interface Checkout {
  dir: string;
  /** Removes the directory (idempotent). */
  remove(): Promise<void>;
}

/**
 * Writes the tree of commit `sha` into a new directory under `parentDir`: `git archive | tar -x`,
 * so the bare repository gets no index and no work tree, and several checkouts can run at once.
 */
export async function checkoutCommit(repoDir: string, sha: string, parentDir: string, timeoutMs = 120_000): Promise<Checkout> {
  if (!SHA.test(sha)) throw new Error(`not a commit id: ${JSON.stringify(sha)}`);
  await mkdir(parentDir, { recursive: true });
  const dir = join(parentDir, `${sha.slice(0, 7)}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir);
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await archiveInto(repoDir, sha, dir, timeoutMs);
  } catch (err) {
    await remove();
    throw err;
  }
  return { dir, remove };
}

function archiveInto(repoDir: string, sha: string, dir: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const git = spawn('git', ['archive', '--format=tar', sha], { cwd: repoDir, env: gitEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const tar = spawn('tar', ['-x', '-f', '-', '-C', dir, '--no-same-owner'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    git.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8').slice(0, 2000)));
    tar.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8').slice(0, 2000)));
    git.stdout.pipe(tar.stdin);
    tar.stdin.on('error', () => undefined);
    const timer = setTimeout(() => {
      git.kill('SIGKILL');
      tar.kill('SIGKILL');
    }, timeoutMs);
    let pending = 2;
    let failed: string | undefined;
    const done = (who: string) => (code: number | null) => {
      if (code !== 0) failed ??= `${who} ended with ${code ?? 'a signal'}`;
      if (--pending > 0) return;
      clearTimeout(timer);
      if (failed) reject(new Error(`checkout of ${sha.slice(0, 7)} failed: ${failed}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`));
      else resolve();
    };
    git.on('error', (e) => reject(new Error(`could not run git archive: ${e.message}`)));
    tar.on('error', (e) => reject(new Error(`could not run tar: ${e.message}`)));
    git.on('close', done('git archive'));
    tar.on('close', done('tar'));
  });
}

/**
 * This process's own folder under `<data>/runner/checkouts`: instances sharing a data folder never
 * write into, or clean up, each other's checkouts.
 */
export const CHECKOUT_OWNER = `${hostname()}-${process.pid}`;

/**
 * Removes what runners that are gone left under `parentDir` (checkouts of a killed process): this
 * process's own folder, and the folders of this host's processes that no longer exist. The folders
 * of live processes stay (another instance on the same data folder may be building in them), and
 * so do other hosts' (their pids cannot be checked from here; each host cleans its own).
 */
export async function removeStaleCheckouts(parentDir: string, owner = CHECKOUT_OWNER): Promise<void> {
  const entries = await readdir(parentDir).catch(() => [] as string[]);
  const host = hostname();
  await Promise.all(
    entries.map(async (name) => {
      const m = /^(.+)-(\d+)$/.exec(name);
      const stale = name === owner || (m !== null && m[1] === host && !processExists(Number(m[2])));
      if (stale) await rm(join(parentDir, name), { recursive: true, force: true });
    }),
  );
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
