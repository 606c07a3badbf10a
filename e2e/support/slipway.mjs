// Starts `slipway start` for a browser test: free port, throwaway data directory, known admin and
// webhook secret. Stops it (by its own pid) and removes the directory afterwards.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const WEB_ROOT = join(ROOT, 'apps', 'web', 'dist', 'web', 'browser');

const ADMIN = { email: 'admin@example.com', password: 'e2e-password-123' };
const SECRET = 'e2e-webhook-secret';

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

export async function waitFor(check, { timeoutMs = 30_000, intervalMs = 200, what = 'condition' } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/**
 * `restart()` kills the process (SIGKILL, as a crash would) and starts a new one on the same port and
 * data folder.
 * @param {{ env?: Record<string, string>, log?: (line: string) => void, serverDir?: string }} opts
 * @returns {Promise<{ url: string, port: number, dataDir: string, admin: { email: string, password: string }, secret: string, output: () => string, restart: () => Promise<void>, stop: () => Promise<void> }>}
 */
export async function startSlipway(opts = {}) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'slipway-e2e-'));
  let proc;
  try {
    proc = await launch(opts, port, dataDir);
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    admin: ADMIN,
    secret: SECRET,
    output: () => proc.output(),
    async restart() {
      await proc.kill('SIGKILL');
      proc = await launch(opts, port, dataDir);
    },
    async stop() {
      await proc.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** One `slipway start` process on `port` and `dataDir`, once it answers /readyz. */
async function launch(opts, port, dataDir) {
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    SLIPWAY_DATA_DIR: dataDir,
    SLIPWAY_ADMIN_EMAIL: ADMIN.email,
    SLIPWAY_ADMIN_PASSWORD: ADMIN.password,
    DOKPLOY_WEBHOOK_SECRET: SECRET,
    SLIPWAY_COOKIE_SECURE: 'false',
    LOG_LEVEL: 'warn',
    ...opts.env,
  };
  let out = '';
  const child = spawn(process.execPath, [join(opts.serverDir ?? join(ROOT, 'apps', 'server'), 'bin', 'slipway.mjs'), 'start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const collect = (chunk) => {
    out += chunk.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
    opts.log?.(chunk.toString());
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise((r) => child.once('exit', r));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`slipway exited (${child.exitCode}):\n${out}`);
        return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) })).ok;
      },
      { timeoutMs: 60_000, what: 'slipway start' },
    );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    output: () => out,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}
