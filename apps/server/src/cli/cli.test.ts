import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call } from '../test-support/http.ts';
import { startTestServer } from '../test-support/server.ts';
import { cliRunner } from './test-cli.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'slipway-cli-'));

const slipway = cliRunner(dataDir);

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

// Each call starts a process that loads TypeScript through tsx: slow on a loaded 2-core machine.
describe('slipway CLI', { timeout: 180_000 }, () => {
  it('migrates, adds users, and creates a token printed alone on stdout', async () => {
    expect((await slipway(['migrate'])).code).toBe(0);
    const add = await slipway(['user', 'add', '--email', 'Dev@Example.com', '--password-stdin', '--admin'], {}, 'dev-password\n');
    expect(add).toMatchObject({ code: 0, stdout: expect.stringMatching(/created admin dev@example\.com/) });
    const dup = await slipway(['user', 'add', '--email', 'dev@example.com', '--password-stdin'], {}, 'dev-password\n');
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/exists already/);
    const token = await slipway(['token', 'create', '--email', 'dev@example.com', '--name', 'ci']);
    expect(token.code).toBe(0);
    expect(token.stdout).toMatch(/^slp_[A-Za-z0-9_-]{43}\n$/);

    // The token works against a server on the same data folder.
    const s = await startTestServer('sqlite', { SLIPWAY_DATA_DIR: dataDir });
    try {
      const me = await call(s.url, 'GET', '/api/auth/me', { token: token.stdout.trim() });
      expect(me.body).toMatchObject({ email: 'dev@example.com', role: 'admin' });
    } finally {
      await s.close();
    }
  });

  it('refuses a short password and an unknown user with a message, not a stack', async () => {
    const short = await slipway(['user', 'add', '--email', 'x@example.com', '--password-stdin'], {}, 'short\n');
    expect(short).toMatchObject({ code: 1, stderr: 'slipway: password must be at least 8 characters\n' });
    const unknown = await slipway(['token', 'create', '--email', 'ghost@example.com']);
    expect(unknown).toMatchObject({ code: 1, stderr: 'slipway: no user with email ghost@example.com\n' });
  });

  it('names every bad configuration value at start', async () => {
    const r = await slipway(['start'], { PORT: 'abc', DATABASE_URL: 'mysql://nope' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Invalid configuration/);
    expect(r.stderr).toMatch(/PORT/);
    expect(r.stderr).toMatch(/DATABASE_URL: must start with postgres/);
  });
});
