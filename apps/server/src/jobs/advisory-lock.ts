import { createHash } from 'node:crypto';
import pg from 'pg';
import type { LockBackend } from './leader-lock.ts';

/** Advisory lock keys are two int4: a fixed one for Slipway, and one derived from the lock's name. */
const SLIPWAY_LOCK_CLASS = 0x534c5057; // "SLPW"

export function advisoryLockKey(name: string): [number, number] {
  return [SLIPWAY_LOCK_CLASS, createHash('sha256').update(name).digest().readInt32BE(0)];
}

/**
 * A PostgreSQL session advisory lock (`pg_try_advisory_lock`), held on a connection of its own,
 * outside the pool, for as long as this instance leads. PostgreSQL frees it when that session
 * ends: the process was killed (the kernel closes the socket), or its host vanished (the server's
 * TCP keepalives, set short below, end the session in about 25 s).
 */
export function advisoryLock(url: string, name: string, o: { timeoutMs?: number } = {}): LockBackend {
  const [classId, objId] = advisoryLockKey(name);
  const timeoutMs = o.timeoutMs ?? 10_000;
  let client: pg.Client | undefined;
  let held = false;

  /** Forgets a connection (and so the lock); true when it held the lock. */
  const drop = (c: pg.Client): boolean => {
    if (client !== c) return false;
    const had = held;
    client = undefined;
    held = false;
    c.end().catch(() => undefined);
    return had;
  };

  return {
    async tryAcquire(lost) {
      if (!client) {
        const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
        const gone = () => void (drop(c) && lost());
        c.on('error', gone);
        c.on('end', gone);
        client = c;
        try {
          await c.connect();
          // So the server ends the session (and frees the lock) when this host vanishes without closing it.
          await c.query('SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 3');
        } catch (err) {
          drop(c);
          throw err;
        }
      }
      const c = client;
      const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [classId, objId]).catch((err: unknown) => {
        drop(c);
        throw err;
      });
      held = r.rows[0]?.ok === true;
      return held;
    },
    async stillHeld() {
      const c = client;
      if (!c || !held) return false;
      try {
        await c.query('SELECT 1');
        return held;
      } catch {
        drop(c);
        return false;
      }
    },
    async release() {
      const c = client;
      if (!c) return;
      client = undefined;
      if (held) await c.query('SELECT pg_advisory_unlock($1, $2)', [classId, objId]).catch(() => undefined);
      held = false;
      await c.end().catch(() => undefined);
    },
  };
}
