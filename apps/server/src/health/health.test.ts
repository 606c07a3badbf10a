import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../test-support/http.ts';
import { startRedis, type RedisServer } from '../test-support/redis.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { Readiness } from './readiness.ts';

const readyz = (s: TestServer) => call(s.url, 'GET', '/readyz');

describe('/healthz and /readyz (SQLite)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('sqlite');
  });
  afterAll(async () => s?.close());

  it('/healthz answers 200 without looking at anything else (liveness)', async () => {
    const r = await call(s.url, 'GET', '/healthz');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok' });
  });

  it("/readyz answers 200 with each check's result: database, migrations, git, Redis skipped without REDIS_URL", async () => {
    const r = await readyz(s);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: 'ok',
      checks: {
        database: { ok: true },
        migrations: { ok: true, message: 'all applied' },
        redis: { ok: true, skipped: true, message: 'REDIS_URL is not set' },
        git: { ok: true, message: expect.stringMatching(/^git version \d/) },
      },
    });
  });

  it('/readyz answers 503 naming the pending migration when the database lacks one the code ships', async () => {
    const { db } = s.ctx.database;
    const last = await db.selectFrom('kysely_migration' as never).selectAll().orderBy('name' as never, 'desc').limit(1).executeTakeFirstOrThrow() as { name: string; timestamp: string };
    await db.deleteFrom('kysely_migration' as never).where('name' as never, '=', last.name as never).execute();
    try {
      const r = await readyz(s);
      expect(r.status).toBe(503);
      expect(r.body.status).toBe('unavailable');
      expect(r.body.message).toContain(`migrations: pending: ${last.name}`);
      expect(r.body.checks.database.ok).toBe(true);
      expect(r.body.checks.migrations.ok).toBe(false);
      // Liveness does not change: the process is fine, it is only not ready.
      expect((await call(s.url, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await db.insertInto('kysely_migration' as never).values(last as never).execute();
    }
    expect((await readyz(s)).status).toBe(200);
  });

  it('fails the git check when git cannot run, saying so', async () => {
    const r = await new Readiness({ database: s.ctx.database, redisConfigured: false, git: '/nonexistent/git' }).check();
    expect(r.ready).toBe(false);
    expect(r.checks.git).toMatchObject({ ok: false, message: '/nonexistent/git not found on PATH' });
    expect(r.checks.database.ok).toBe(true);
  });
});

describe('/readyz when PostgreSQL refuses connections', () => {
  let s: TestServer;
  let dbName: string;
  let adminUrl: string;
  const admin = async (query: string, values: unknown[] = []) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      return await c.query(query, values);
    } finally {
      await c.end();
    }
  };
  beforeAll(async () => {
    s = await startTestServer('postgres');
    const url = s.ctx.config.database.kind === 'postgres' ? s.ctx.config.database.url : '';
    dbName = new URL(url).pathname.slice(1);
    adminUrl = url.replace(/\/[^/]*$/, '/postgres');
  });
  afterAll(async () => {
    await admin(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`).catch(() => undefined);
    await s?.close();
  });

  it('answers 503 with the database reason while it is unreachable, and 200 again once it is back; /healthz stays 200', async () => {
    expect((await readyz(s)).status).toBe(200);
    await admin(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS false`);
    await admin('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
    // The pool's idle clients notice the termination.
    await new Promise((r) => setTimeout(r, 200));
    const down = await readyz(s);
    expect(down.status).toBe(503);
    expect(down.body.checks.database.ok).toBe(false);
    expect(down.body.message).toMatch(/^database: .*not currently accepting connections/);
    expect((await call(s.url, 'GET', '/healthz')).status).toBe(200);

    await admin(`ALTER DATABASE ${dbName} ALLOW_CONNECTIONS true`);
    expect((await readyz(s)).status).toBe(200);
  });
});

describe('/readyz with REDIS_URL set', () => {
  let redis: RedisServer;
  let s: TestServer;
  beforeAll(async () => {
    redis = await startRedis();
    s = await startTestServer('sqlite', { REDIS_URL: redis.url, PUSHER_APP_SECRET: 'readyz-test-pusher-secret' });
  });
  afterAll(async () => {
    await s?.close();
    await redis?.stop();
  });

  it('answers 200 while Redis answers, 503 naming Redis while it is down, and 200 once it is back', async () => {
    const up = await readyz(s);
    expect(up.status).toBe(200);
    expect(up.body.checks.redis).toMatchObject({ ok: true });
    expect(up.body.checks.redis.skipped).toBeUndefined();

    const port = redis.port;
    await redis.stop();
    const down = await readyz(s);
    expect(down.status).toBe(503);
    expect(down.body.message).toMatch(/^redis: /);
    expect(down.body.checks).toMatchObject({ database: { ok: true }, redis: { ok: false } });

    redis = await startRedis(port);
    const deadline = Date.now() + 10_000;
    let again = await readyz(s);
    while (again.status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      again = await readyz(s);
    }
    expect(again.status).toBe(200);
  });
});
