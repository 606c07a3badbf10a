import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../test-support/http.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';

describe('PostgreSQL drops the server’s connections (restart, failover)', () => {
  let server: TestServer;
  let dbName: string;
  beforeAll(async () => {
    server = await startTestServer('postgres');
    // Some idle connections in the pool.
    await Promise.all(Array.from({ length: 4 }, () => call(server.url, 'GET', '/healthz')));
    const r = await server.ctx.database.db.selectNoFrom((eb) => eb.fn<string>('current_database', []).as('name')).executeTakeFirstOrThrow();
    dbName = r.name;
  });
  afterAll(async () => server.close());

  it('the server stays up and answers again with new connections', async () => {
    const url = server.ctx.config.database.kind === 'postgres' ? server.ctx.config.database.url : '';
    const admin = new pg.Client({ connectionString: url.replace(/\/[^/]*$/, '/postgres') });
    await admin.connect();
    const killed = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
    await admin.end();
    expect(killed.rowCount).toBeGreaterThan(0);
    // The pool's idle clients emit 'error' now; an unhandled one would end the process (and this test run).
    await new Promise((r) => setTimeout(r, 300));
    const h = await call(server.url, 'GET', '/healthz');
    expect(h.status).toBe(200);
  });
});
