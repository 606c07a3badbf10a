import { mkdirSync } from 'node:fs';
import { ensurePrivateFile } from '../config/private-files.ts';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type MigrationResultSet } from 'kysely';
import pg from 'pg';
import type { Config } from '../config/config.ts';
import { postgresTraits, sqliteTraits, type DialectTraits } from './dialect.ts';
import { migrations } from './migrations/index.ts';
import { startCheckpointer } from './sqlite-checkpointer.ts';
import type { Database } from './schema.ts';

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  traits: DialectTraits;
  migrate(): Promise<MigrationResultSet>;
  /** Migrations this code ships that the database has not run (readiness: `/readyz`). */
  pendingMigrations(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Kysely prepares every query anew; with better-sqlite3 the prepare costs more than running the
 * statement. The SQL text of a query builder is stable, so prepared statements are reused.
 */
function withStatementCache(sqlite: SQLite.Database, max = 500) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sqlText: string) {
      let stmt = cache.get(sqlText);
      if (!stmt) {
        stmt = sqlite.prepare(sqlText);
        if (cache.size >= max) cache.delete(cache.keys().next().value!);
        cache.set(sqlText, stmt);
      }
      return stmt;
    },
  };
}

/** Opens the configured database. SQLite runs in WAL mode: readers never wait on the writer. */
export function openDatabase(
  config: Pick<Config, 'database'>,
  /** An idle PostgreSQL connection that breaks (server restart, failover); the pool replaces it. */
  onIdleError: (err: Error) => void = (err) => process.stderr.write(`database connection lost: ${err.message}\n`),
): DatabaseHandle {
  let db: Db;
  let traits: DialectTraits;
  let checkpointer: { stop(): Promise<void> } | undefined;
  if (config.database.kind === 'sqlite') {
    mkdirSync(dirname(config.database.file), { recursive: true });
    ensurePrivateFile(config.database.file);
    const sqlite = new SQLite(config.database.file);
    sqlite.pragma('journal_mode = WAL');
    // NORMAL with WAL survives a process crash (kill -9) without losing a commit; only an OS
    // crash may lose the last transactions. Webhook acknowledgements rely on the former.
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('wal_autocheckpoint = 0');
    // Reads through a memory map and a larger page cache: fewer system calls per statement, which
    // on these VMs cost more than SQLite's own work.
    sqlite.pragma('mmap_size = 268435456');
    sqlite.pragma('cache_size = -65536');
    checkpointer = startCheckpointer(config.database.file);
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    traits = sqliteTraits;
  } else {
    const pool = new pg.Pool({ connectionString: config.database.url, max: 10, connectionTimeoutMillis: 10_000 });
    // Without a listener, a pooled connection's error (PostgreSQL restarted) would end the process.
    pool.on('error', onIdleError);
    // The pool listens only to idle connections; a checked-out one (a transaction waiting on other
    // I/O) that PostgreSQL drops would emit an unheard 'error' too. Its query still fails and its
    // holder sees that; the connection is then discarded on release.
    pool.on('connect', (client) => client.on('error', onIdleError));
    db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    traits = postgresTraits;
  }
  const migrator = () => new Migrator({ db, provider: { getMigrations: async () => migrations(traits) } });
  return {
    db,
    traits,
    async migrate() {
      const result = await migrator().migrateToLatest();
      if (result.error) throw result.error;
      return result;
    },
    async pendingMigrations() {
      return (await migrator().getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
    },
    async close() {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}
