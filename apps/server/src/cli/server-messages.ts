import type { Config } from '../config/config.ts';

/** An error the CLI prints as one line (`slipway: …`) with exit code 1, without a stack (index.ts). */
function expected(message: string): Error {
  return Object.assign(new Error(message), { expected: true });
}

/**
 * What to tell the operator when the server cannot listen: the setting to change, not Node's stack.
 * Returns undefined for any other error (it keeps its stack).
 */
export function listenFailure(err: unknown, host: string, port: number): Error | undefined {
  switch ((err as { code?: string } | null)?.code) {
    case 'EADDRINUSE':
      return expected(`PORT ${port} is already in use on HOST ${host}: stop what listens there, or set PORT to a free port`);
    case 'EACCES':
      return expected(`PORT ${port} on HOST ${host} needs privileges: set PORT to 1024 or above`);
    case 'EADDRNOTAVAIL':
      return expected(`HOST ${host} is not an address of this machine: set HOST (0.0.0.0 listens on every address)`);
    default:
      return undefined;
  }
}

/** Which database, without credentials: a PostgreSQL URL may hold a password. */
export function databaseLabel(database: Config['database']): string {
  if (database.kind === 'sqlite') return `SQLite ${database.file}`;
  try {
    const u = new URL(database.url);
    return `PostgreSQL ${u.host}${u.pathname}`;
  } catch {
    return 'PostgreSQL';
  }
}

/** `slipway migrate`'s answer, in words. */
export function migrationSummary(applied: string[], database: string): string {
  if (applied.length === 0) return `Database is up to date (${database})`;
  const n = applied.length === 1 ? '1 migration' : `${applied.length} migrations`;
  return `Database migrated (${database}): ${n} applied (${applied.join(', ')})`;
}
