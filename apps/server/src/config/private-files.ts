import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';

/**
 * The data folder holds the database, the webhook secret, the hosted repositories and the runner's
 * work: only the server's user may enter it (0700), whatever the umask says.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Creates (or narrows) a file readable by the server's user only (0600). SQLite gives its `-wal`
 * and `-shm` files the mode of the database file, so narrowing the database narrows them too.
 */
export function ensurePrivateFile(path: string): void {
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}
