import { open, readFile, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { GitError } from './errors.ts';

/**
 * Serialises work on one mirror: a promise chain inside this process, and a lock file
 * (`O_EXCL`, holding the pid) against other Slipway processes on the same data folder. A lock
 * file left by a dead process is taken over.
 */
const chains = new Map<string, Promise<unknown>>();

export async function withLock<T>(lockPath: string, deadline: number, fn: () => Promise<T>): Promise<T> {
  const before = chains.get(lockPath) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const chained = before.then(() => mine);
  chains.set(lockPath, chained);
  try {
    await Promise.race([
      before,
      sleep(Math.max(0, deadline - Date.now()), undefined, { ref: false }).then(() => {
        throw new GitError('timeout', 'another publish to the same repository was still running when the time ran out');
      }),
    ]);
    await acquireFile(lockPath, deadline);
    try {
      return await fn();
    } finally {
      await unlink(lockPath).catch(() => {});
    }
  } finally {
    release();
    if (chains.get(lockPath) === chained) chains.delete(lockPath);
  }
}

async function acquireFile(lockPath: string, deadline: number): Promise<void> {
  for (;;) {
    try {
      const fh = await open(lockPath, 'wx', 0o600);
      await fh.writeFile(String(process.pid));
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
    // Empty: its owner is between open and write, unless it died there long ago.
    const orphan = !holder && Date.now() - ((await stat(lockPath).catch(() => undefined))?.mtimeMs ?? 0) > 10_000;
    // Our own pid here means a lock from an earlier life of this pid (we hold none: the chain said so).
    if (orphan || (holder && (holder === process.pid || !alive(holder)))) {
      await unlink(lockPath).catch(() => {});
      continue;
    }
    if (Date.now() >= deadline) throw new GitError('timeout', `another process (pid ${holder}) is publishing to the same repository`);
    await sleep(50);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
