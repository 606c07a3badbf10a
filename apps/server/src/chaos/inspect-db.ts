/**
 * The test's own read-only look at a running cluster's database: a plain connection, none of the
 * server's machinery (no checkpointer, no migrations, nothing that could count as another instance).
 */
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Db } from '../db/database.ts';
import type { Database } from '../db/schema.ts';

export interface Inspector {
  db: Db;
  close(): Promise<void>;
}

/** `target`: a `postgres://` URL, or the path of a SQLite file (opened read-only). */
export function inspectDatabase(target: string): Inspector {
  if (/^postgres(ql)?:\/\//.test(target)) {
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: target, max: 2 }) }) });
    return { db, close: () => db.destroy() };
  }
  const sqlite = new SQLite(target, { readonly: true, fileMustExist: true });
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  return { db, close: () => db.destroy() };
}
