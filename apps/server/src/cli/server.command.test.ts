import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseLabel, listenFailure, migrationSummary } from './server-messages.ts';

const BIN = resolve(import.meta.dirname, '../../bin/slipway.mjs');
const dataDir = mkdtempSync(join(tmpdir(), 'slipway-cli-server-'));

async function slipway(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await promisify(execFile)(process.execPath, [BIN, ...args], {
      env: { ...process.env, SLIPWAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn', SLIPWAY_DEMO: 'false', SLIPWAY_RUNNER: 'false', ...env },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('server messages', () => {
  it('turns listen errors into one line naming the setting to change', () => {
    const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:3000'), { code: 'EADDRINUSE' });
    expect(listenFailure(inUse, '127.0.0.1', 3000)).toMatchObject({
      expected: true,
      message: 'PORT 3000 is already in use on HOST 127.0.0.1: stop what listens there, or set PORT to a free port',
    });
    expect(listenFailure(Object.assign(new Error('x'), { code: 'EACCES' }), '0.0.0.0', 80)?.message).toMatch(/^PORT 80 .*needs privileges/);
    expect(listenFailure(Object.assign(new Error('x'), { code: 'EADDRNOTAVAIL' }), '10.9.9.9', 3000)?.message).toMatch(/^HOST 10\.9\.9\.9 is not an address/);
    expect(listenFailure(new Error('other'), '0.0.0.0', 3000)).toBeUndefined();
  });

  it('says what migrate did, and never shows a database password', () => {
    expect(migrationSummary([], 'SQLite /d/slipway.db')).toBe('Database is up to date (SQLite /d/slipway.db)');
    expect(migrationSummary(['003-accounts'], 'SQLite /d/slipway.db')).toBe('Database migrated (SQLite /d/slipway.db): 1 migration applied (003-accounts)');
    expect(migrationSummary(['003-a', '004-b'], 'x')).toBe('Database migrated (x): 2 migrations applied (003-a, 004-b)');
    expect(databaseLabel({ kind: 'postgres', url: 'postgres://slipway:s3cret@db.example:5432/slipway' })).toBe('PostgreSQL db.example:5432/slipway');
  });
});

// Each call starts a process that loads TypeScript through tsx: slow on a loaded 2-core machine.
describe('slipway start and migrate', { timeout: 180_000 }, () => {
  it('migrate says in words what it applied, then that the database is up to date', async () => {
    const first = await slipway(['migrate']);
    expect(first.code).toBe(0);
    const db = join(dataDir, 'slipway.db');
    expect(first.stdout).toMatch(new RegExp(`^Database migrated \\(SQLite ${db.replace(/[.]/g, '\\.')}\\): \\d+ migrations applied \\(001-initial, 002-modules-and-jobs[^)]*\\)\\n$`));
    const again = await slipway(['migrate']);
    expect(again).toMatchObject({ code: 0, stdout: `Database is up to date (SQLite ${db})\n` });
  });

  it('a port already in use ends with one line naming PORT and HOST, not a stack', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((ok) => blocker.listen(0, '127.0.0.1', ok));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await slipway(['start'], { PORT: String(port), HOST: '127.0.0.1' });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`slipway: PORT ${port} is already in use on HOST 127.0.0.1: stop what listens there, or set PORT to a free port\n`);
    } finally {
      await new Promise((ok) => blocker.close(ok));
    }
  });
});
