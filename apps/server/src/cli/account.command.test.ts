import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { call } from '../test-support/http.ts';
import { startTestServer } from '../test-support/server.ts';
import { BIN, cliRunner } from './test-cli.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'slipway-account-cli-'));
const slipway = cliRunner(dataDir);
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/**
 * Runs a command on a real terminal (util-linux `script` gives it a pty) and types each answer
 * when its prompt shows, as a person would. Returns everything the terminal showed.
 */
function onTerminal(args: string[], answers: [prompt: string, typed: string][]): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qec', command, '/dev/null'], { env: { ...process.env, SLIPWAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn' } });
  let screen = '';
  let next = 0;
  let from = 0;
  child.stdout.on('data', (d: Buffer) => {
    screen += d.toString();
    for (let at; next < answers.length && (at = screen.indexOf(answers[next]![0], from)) >= 0; next++) {
      from = at + answers[next]![0].length;
      child.stdin.write(`${answers[next]![1]}\r`);
    }
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, screen })));
}

// Each call starts a process that loads TypeScript through tsx: slow on a loaded 2-core machine.
describe('account commands', { timeout: 180_000 }, () => {
  it('takes a password from stdin, and warns when it is given in argv', async () => {
    const add = await slipway(['user', 'add', '--email', 'ops@example.com', '--password-stdin'], {}, 'from-stdin-1\nignored second line\n');
    expect(add).toMatchObject({ code: 0, stdout: expect.stringMatching(/^created member ops@example\.com/) });
    expect(add.stderr).toBe('');

    const argv = await slipway(['user', 'password', '--email', 'ops@example.com', '--password', 'from-argv-12']);
    expect(argv.code).toBe(0);
    expect(argv.stderr).toMatch(/warning: --password is visible in the process list/);

    // Neither given, and no terminal to ask on: a message, not a hang.
    const none = await slipway(['user', 'password', '--email', 'ops@example.com']);
    expect(none).toMatchObject({ code: 1, stderr: expect.stringMatching(/--password-stdin/) });
    const empty = await slipway(['user', 'password', '--email', 'ops@example.com', '--password-stdin']);
    expect(empty).toMatchObject({ code: 1, stderr: 'slipway: --password-stdin: no password on stdin\n' });

    const s = await startTestServer('sqlite', { SLIPWAY_DATA_DIR: dataDir });
    try {
      expect((await call(s.url, 'POST', '/api/auth/login', { body: { email: 'ops@example.com', password: 'from-argv-12' } })).status).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('asks on a terminal without echoing, twice, and refuses two different answers', async () => {
    const ok = await onTerminal(['user', 'add', '--email', 'tty@example.com'], [['New password: ', 'typed-secret-1'], ['Repeat it: ', 'typed-secret-1']]);
    expect(ok.code).toBe(0);
    expect(ok.screen).toMatch(/created member tty@example\.com/);
    expect(ok.screen).not.toContain('typed-secret-1');

    const differ = await onTerminal(['user', 'password', '--email', 'tty@example.com'], [['New password: ', 'typed-secret-2'], ['Repeat it: ', 'typed-secret-3']]);
    expect(differ.code).toBe(1);
    expect(differ.screen).toMatch(/the two passwords differ/);
  });

  it('creates tokens with an expiry, lists them without the token, and revokes one by id', async () => {
    const created = await slipway(['token', 'create', '--email', 'ops@example.com', '--name', 'deploy-bot', '--expires-days', '30']);
    expect(created).toMatchObject({ code: 0, stdout: expect.stringMatching(/^slp_[A-Za-z0-9_-]{43}\n$/) });
    const token = created.stdout.trim();
    await slipway(['token', 'create', '--email', 'ops@example.com', '--name', 'laptop']);

    const list = await slipway(['token', 'list', '--email', 'ops@example.com', '--json']);
    const tokens = JSON.parse(list.stdout) as { id: number; name: string; expires_at: string | null; last_used_at: string | null }[];
    expect(tokens.map((t) => t.name)).toEqual(['laptop', 'deploy-bot']);
    expect(Date.parse(tokens[1]!.expires_at!) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    expect(tokens[0]!.expires_at).toBeNull();
    expect(list.stdout).not.toContain(token);
    const table = await slipway(['token', 'list', '--email', 'ops@example.com']);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+CREATED\s+LAST USED\s+EXPIRES\n/);
    expect(table.stdout).toMatch(/laptop .* never\s+never\n/);

    const revoked = await slipway(['token', 'revoke', '--id', String(tokens[1]!.id)]);
    expect(revoked).toMatchObject({ code: 0, stdout: `revoked token ${tokens[1]!.id} (deploy-bot)\n` });
    expect(await slipway(['token', 'revoke', '--id', String(tokens[1]!.id)])).toMatchObject({ code: 1, stderr: `slipway: no token with id ${tokens[1]!.id}\n` });
    expect(await slipway(['token', 'create', '--email', 'ops@example.com', '--expires-days', '0'])).toMatchObject({ code: 1, stderr: 'slipway: --expires-days must be a positive whole number\n' });

    const s = await startTestServer('sqlite', { SLIPWAY_DATA_DIR: dataDir });
    try {
      expect((await call(s.url, 'GET', '/api/auth/me', { token })).status).toBe(401);
    } finally {
      await s.close();
    }
  });
});
