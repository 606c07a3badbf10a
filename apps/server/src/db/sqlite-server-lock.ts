import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { ensurePrivateFile } from '../config/private-files.ts';

/** Held by the one server process of a SQLite database; released when it stops, or dies. */
export interface ServerLock {
  readonly path: string;
  release(): void;
}

interface Holder {
  pid: number;
  host: string;
  started_at: string;
  token: string;
}

/** `slipway start` refused: another server uses the database (the CLI prints it as one line). */
export class DatabaseInUseError extends Error {
  readonly expected = true;
  constructor(file: string, holder: Holder | undefined) {
    const who = holder ? `pid ${holder.pid} on ${holder.host}, started ${holder.started_at}` : 'starting at this moment';
    super(
      `another Slipway server (${who}) is using the SQLite database ${file}. SQLite serves one server process: ` +
        'stop that one first, or set DATABASE_URL to PostgreSQL to run several instances. ' +
        'One-shot commands (slipway user, token, migrate) work beside a running server.',
    );
  }
}

/**
 * One `slipway start` per SQLite file (docs/scaling.md). Two servers on one file would each run
 * the jobs, the watchdog and the sweeps and keep state in memory the other never sees; SQLite
 * itself would let them. The lock is a small SQLite database beside the data (`<file>.server-lock`)
 * on which the server keeps a read transaction open: its SHARED lock is the operating system's,
 * so it goes with the process however the process ends (kill -9 included), and no stale pid file
 * is ever mistaken for a live server. To take it, a process commits its own row (pid, host, time,
 * a random token), which SQLite allows only while no one holds the lock, then opens the read
 * transaction and checks the row is still its own (a rival may have committed in between). It
 * waits up to two seconds for the lock, so a restart right after a crash is not refused while the
 * old process is still exiting.
 */
export function takeSqliteServerLock(file: string): ServerLock {
  const path = `${file}.server-lock`;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  ensurePrivateFile(path);
  const lock = new SQLite(path, { timeout: 2_000 });
  const me: Holder = { pid: process.pid, host: hostname(), started_at: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  const holder = () => lock.prepare('SELECT pid, host, started_at, token FROM holder WHERE id = 1').get() as Holder | undefined;
  const refuse = (): never => {
    let who: Holder | undefined;
    try {
      if (lock.inTransaction) lock.exec('ROLLBACK');
      who = holder();
    } catch {
      who = undefined;
    }
    lock.close();
    throw new DatabaseInUseError(file, who);
  };
  try {
    lock.exec('CREATE TABLE IF NOT EXISTS holder (id INTEGER PRIMARY KEY CHECK (id = 1), pid INTEGER NOT NULL, host TEXT NOT NULL, started_at TEXT NOT NULL, token TEXT NOT NULL)');
    lock.exec('BEGIN IMMEDIATE');
    lock.prepare('INSERT OR REPLACE INTO holder (id, pid, host, started_at, token) VALUES (1, @pid, @host, @started_at, @token)').run(me);
    // Needs an exclusive lock: refused (SQLITE_BUSY) while a server holds its read transaction.
    lock.exec('COMMIT');
    lock.exec('BEGIN');
    if (holder()?.token !== me.token) refuse();
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) refuse();
    if (lock.open) lock.close();
    throw err;
  }
  return {
    path,
    release() {
      if (!lock.open) return;
      lock.exec('ROLLBACK');
      lock.close();
    },
  };
}
