import type { Compilable, CompiledQuery } from 'kysely';
import type { Db } from './database.ts';

type Slot = { arg: string } | { value: unknown };

const MARK = '\u0000slipway-arg:';

/** The argument names of a prepared query, checked complete against its argument type. */
export function argNames<A>(names: Record<keyof A & string, true>): (keyof A & string)[] {
  return Object.keys(names) as (keyof A & string)[];
}

/**
 * A query built and compiled once per dialect, then run with new values. Kysely builds and
 * compiles each query anew, which on the webhook path cost more than SQLite took to run it.
 *
 * `build` receives stand-ins for the named arguments (a plain object, so `values(args)` works)
 * and must hand each one to the query untouched, as a value: the query's shape may not depend on
 * them (no `if (args.x)`, no `in` lists, no JSON.stringify inside). Anything else in the query is
 * compiled in as it is. An argument left undefined is sent as NULL.
 */
export function prepared<A extends Record<string, unknown>, R>(names: readonly (keyof A & string)[], build: (db: Db, args: A) => Compilable<R>) {
  // Keyed by the dialect's adapter, which a database and its transactions share.
  const compiled = new WeakMap<object, { query: CompiledQuery<R>; slots: Slot[] }>();

  function compile(db: Db) {
    const standIns = Object.fromEntries(names.map((n) => [n, `${MARK}${n}`])) as A;
    const query = build(db, standIns).compile();
    const slots = query.parameters.map((v): Slot => (typeof v === 'string' && v.startsWith(MARK) ? { arg: v.slice(MARK.length) } : { value: v }));
    return { query, slots };
  }

  return async (db: Db, args: A): Promise<R[]> => {
    const executor = db.getExecutor();
    let q = compiled.get(executor.adapter);
    if (!q) compiled.set(executor.adapter, (q = compile(db)));
    const query: CompiledQuery<R> = { ...q.query, parameters: q.slots.map((s) => ('arg' in s ? (args[s.arg] ?? null) : s.value)) };
    // Straight to the connection: Kysely's own path wraps each query in several executors and
    // promises, a third of the webhook path's allocations. Plugins would need that path.
    if (executor.plugins.length > 0) return (await db.executeQuery(query)).rows;
    return (await executor.provideConnection((connection) => connection.executeQuery<R>(query))).rows;
  };
}
