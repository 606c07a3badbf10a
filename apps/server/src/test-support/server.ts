import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../config/config.ts';
import type { LoggerOptions } from '../logging/logger.ts';
import { startServer, type RunningServer } from '../main.ts';

export type DialectName = 'sqlite' | 'postgres';
export const DIALECTS: DialectName[] = ['sqlite', 'postgres'];

/** A fresh, empty PostgreSQL database on the run's server; dropped by the returned function. */
export async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const base = inject('pgUrl');
  const name = `slipway_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = base.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestServer extends RunningServer {
  dataDir: string;
  secret: string;
  /** Prints captured from start-up (a generated admin password). */
  printed: string[];
}

export const TEST_SECRET = 'test-secret-0123456789';
export const ADMIN = { email: 'admin@example.com', password: 'admin-password' };

/**
 * A real Slipway server on a free port, on a fresh SQLite file or PostgreSQL database. `log`: where
 * its logger writes (with LOG_LEVEL in `env`), e.g. a test-support/log-capture.ts stream.
 */
export async function startTestServer(dialect: DialectName, env: Record<string, string> = {}, opts: { log?: LoggerOptions } = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'slipway-test-'));
  const pgDb = dialect === 'postgres' ? await createPgDatabase() : undefined;
  const config: Config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    SLIPWAY_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    DOKPLOY_WEBHOOK_SECRET: TEST_SECRET,
    SLIPWAY_ADMIN_EMAIL: ADMIN.email,
    SLIPWAY_ADMIN_PASSWORD: ADMIN.password,
    // The demo applications only where a test asks for them (SLIPWAY_DEMO: 'true').
    SLIPWAY_DEMO: 'false',
    ...(pgDb ? { DATABASE_URL: pgDb.url } : {}),
    ...env,
  });
  const printed: string[] = [];
  const server = await startServer(config, { print: (l) => printed.push(l), log: opts.log });
  return {
    ...server,
    dataDir,
    secret: config.webhook.secrets[0] ?? '',
    printed,
    async close(o) {
      const report = await server.close(o);
      await pgDb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
      return report;
    },
  };
}
