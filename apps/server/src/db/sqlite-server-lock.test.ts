import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cliRunner } from '../cli/test-cli.ts';
import { eventually } from '../test-support/dokploy-stub.ts';
import { DatabaseInUseError, takeSqliteServerLock } from './sqlite-server-lock.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'slipway-server-lock-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('one server per SQLite database', () => {
  it('a second holder is refused with who holds it; once released, the lock is free', () => {
    const file = join(tempDir(), 'slipway.db');
    const first = takeSqliteServerLock(file);
    let refusal: unknown;
    try {
      takeSqliteServerLock(file);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(DatabaseInUseError);
    expect((refusal as Error).message).toContain(`another Slipway server (pid ${process.pid} on ${hostname()}, started `);
    expect((refusal as Error).message).toContain(`is using the SQLite database ${file}`);
    first.release();
    takeSqliteServerLock(file).release();
  });

  // Real processes, as an operator would start them (each loads TypeScript through tsx: slow).
  it('a second `slipway start` is refused while one-shot commands work; a killed server frees the database at once', { timeout: 180_000 }, async () => {
    const dataDir = tempDir();
    const env: NodeJS.ProcessEnv = { ...process.env, SLIPWAY_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', SLIPWAY_DEMO: 'false', SLIPWAY_RUNNER: 'false' };
    delete env.DATABASE_URL;
    const start = () => {
      const child = spawn(process.execPath, [BIN, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const out = { text: '' };
      child.stdout!.on('data', (d: Buffer) => (out.text += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out.text += d.toString()));
      return { child, out };
    };
    const listening = (s: { out: { text: string } }) => eventually(async () => s.out.text.includes('Slipway is listening on'), 'the server to listen', 90_000);
    const exited = (c: ChildProcess) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : once(c, 'exit').then(() => undefined));
    const started: ChildProcess[] = [];
    try {
      const first = start();
      started.push(first.child);
      await listening(first);

      const second = start();
      started.push(second.child);
      const [code] = (await once(second.child, 'exit')) as [number];
      expect(code).toBe(1);
      const db = join(dataDir, 'slipway.db');
      expect(second.out.text).toMatch(new RegExp(`^slipway: another Slipway server \\(pid ${first.child.pid} on ${hostname()}, started [^)]+\\) is using the SQLite database ${db.replace(/[.]/g, '\\.')}\\. SQLite serves one server process`));
      expect(second.out.text.trim().split('\n')).toHaveLength(1);

      const cli = cliRunner(dataDir);
      expect(await cli(['user', 'add', '--email', 'beside@example.com', '--password-stdin'], {}, 'a-long-enough-password\n')).toMatchObject({ code: 0, stdout: expect.stringContaining('created member beside@example.com') });

      first.child.kill('SIGKILL');
      await exited(first.child);
      const again = start();
      started.push(again.child);
      await listening(again);
      again.child.kill('SIGTERM');
      await exited(again.child);
      expect(again.child.exitCode).toBe(0);
    } finally {
      for (const c of started) c.kill('SIGKILL');
    }
  });
});
