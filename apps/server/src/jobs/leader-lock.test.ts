import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/database.ts';
import { eventually } from '../test-support/dokploy-stub.ts';
import { advisoryLock, advisoryLockKey } from './advisory-lock.ts';
import { LeaderLock, leaderBackend, type Duty } from './leader-lock.ts';

const quiet = { info: () => undefined, warn: () => undefined };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A duty that records whether it runs. */
function duty(): Duty & { running: boolean; starts: number; stops: number } {
  const d = {
    running: false,
    starts: 0,
    stops: 0,
    start: () => void ((d.running = true), d.starts++),
    stop: async () => void ((d.running = false), d.stops++),
  };
  return d;
}

describe('leader lock on PostgreSQL (advisory lock on a connection of its own)', () => {
  let h: Awaited<ReturnType<typeof openTestDatabase>>;
  let url: string;
  const locks: LeaderLock[] = [];
  beforeAll(async () => {
    h = await openTestDatabase('postgres');
    url = (h.database as { url: string }).url;
  });
  afterAll(async () => {
    await Promise.all(locks.map((l) => l.stop()));
    await h?.dispose();
  });

  const instance = () => {
    const d = duty();
    const lock = new LeaderLock({ name: 'test singletons', backend: advisoryLock(url, 'test-singletons'), duties: [d], retryMs: 100, log: quiet });
    locks.push(lock);
    return { lock, duty: d };
  };

  /** The backend pid holding the lock, as PostgreSQL sees it. */
  const holderPid = async (): Promise<number | undefined> => {
    const [classId, objId] = advisoryLockKey('test-singletons');
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const r = await c.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1::int::oid AND objid = $2::int::oid
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [classId, objId],
      );
      return r.rows[0]?.pid;
    } finally {
      await c.end();
    }
  };

  it('one of two instances leads; when the leader process is killed the other takes over', { timeout: 60_000 }, async () => {
    const first = spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'test-fixtures/leader.ts'), url], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      first.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      await eventually(async () => out.includes('leading'), 'the first instance to lead', 30_000);
      const b = instance();
      b.lock.start();
      // B keeps trying, and keeps failing while the first instance holds the lock.
      await sleep(500);
      expect([b.lock.isLeader, b.duty.running]).toEqual([false, false]);

      const killedAt = Date.now();
      first.kill('SIGKILL');
      await eventually(async () => b.lock.isLeader, 'the second instance to take over', 10_000);
      // PostgreSQL ends the killed process's session at once; B takes the lock at its next try.
      expect(Date.now() - killedAt).toBeLessThan(3_000);
      expect(b.duty.running).toBe(true);
      await b.lock.stop();
      expect(b.duty.running).toBe(false);
      expect(await holderPid()).toBeUndefined();
    } finally {
      first.kill('SIGKILL');
    }
  });

  it('a leader whose connection is closed stops its duties; one instance leads again, on another session', async () => {
    const a = instance();
    const b = instance();
    a.lock.start();
    await eventually(async () => a.lock.isLeader, 'the first instance to lead');
    b.lock.start();
    await sleep(300);
    expect([a.duty.running, b.duty.running]).toEqual([true, false]);

    const pid = await holderPid();
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    await admin.end();

    // A noticed (its duty stopped at least once), and whichever retried first leads now.
    await eventually(async () => a.duty.stops > 0, 'the old leader to stop its duty', 5_000);
    await eventually(async () => a.lock.isLeader !== b.lock.isLeader, 'one instance to lead again', 5_000);
    await sleep(300);
    expect(a.lock.isLeader !== b.lock.isLeader).toBe(true);
    expect([a.duty.running, b.duty.running]).toEqual([a.lock.isLeader, b.lock.isLeader]);
    const now = await holderPid();
    expect(now).toBeDefined();
    expect(now).not.toBe(pid);

    // A leader that stops hands the lock over at once.
    const [leader, other] = a.lock.isLeader ? [a, b] : [b, a];
    await leader.lock.stop();
    expect(leader.duty.running).toBe(false);
    await eventually(async () => other.lock.isLeader, 'the other instance to lead', 5_000);
    await other.lock.stop();
    expect(await holderPid()).toBeUndefined();
  });

  it('an instance that cannot reach the database does not lead (and start-up is not held up)', async () => {
    const d = duty();
    const lock = new LeaderLock({ name: 'unreachable', backend: advisoryLock('postgres://postgres@127.0.0.1:1/none', 'x', { timeoutMs: 500 }), duties: [d], retryMs: 100, log: quiet });
    lock.start();
    await sleep(400);
    expect([lock.isLeader, d.starts]).toEqual([false, 0]);
    await lock.stop();
  });
});

describe('leader lock on SQLite', () => {
  it('the one server of a SQLite database leads', async () => {
    const d = duty();
    const lock = new LeaderLock({ name: 'singletons', backend: leaderBackend({ kind: 'sqlite', file: '/unused.db' }, 'singletons'), duties: [d], log: quiet });
    lock.start();
    await eventually(async () => lock.isLeader, 'the instance to lead');
    expect(d.running).toBe(true);
    await lock.stop();
    expect([lock.isLeader, d.running]).toEqual([false, false]);
  });
});
