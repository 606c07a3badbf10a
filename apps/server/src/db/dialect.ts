import type { ColumnDefinitionBuilder, CreateTableBuilder } from 'kysely';

/**
 * What differs between SQLite and PostgreSQL, as capabilities rather than `if (postgres)` spread
 * around (Kysely's own way). Migrations and stores ask this, nothing else.
 */
export interface DialectTraits {
  kind: 'sqlite' | 'postgres';
  /** Adds an auto-increment integer primary key named `id`. */
  idColumn<T extends string>(table: CreateTableBuilder<T, never>): CreateTableBuilder<T, 'id'>;
  /** Unique-constraint violation, told apart from other errors by each driver's own code. */
  isUniqueViolation(err: unknown): boolean;
  /**
   * `SELECT … FOR UPDATE` exists (PostgreSQL). SQLite has one writer at a time, so a transaction
   * already holds every row it reads.
   */
  rowLocks: boolean;
}

const pk = (c: ColumnDefinitionBuilder) => c.primaryKey();

export const sqliteTraits: DialectTraits = {
  kind: 'sqlite',
  idColumn: (t) => t.addColumn('id', 'integer', (c) => pk(c).autoIncrement()),
  isUniqueViolation: (err) => (err as { code?: string })?.code?.startsWith('SQLITE_CONSTRAINT_UNIQUE') === true ||
    (err as { code?: string })?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY',
  rowLocks: false,
};

export const postgresTraits: DialectTraits = {
  kind: 'postgres',
  idColumn: (t) => t.addColumn('id', 'serial', pk),
  isUniqueViolation: (err) => (err as { code?: string })?.code === '23505',
  rowLocks: true,
};
