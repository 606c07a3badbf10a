/**
 * Graceful shutdown of a real `slipway start` process (SIGTERM): the websocket clients are told to
 * reconnect (4200), a job the instance holds goes back to the queue for another instance, and the
 * process exits 0 within SLIPWAY_SHUTDOWN_TIMEOUT_MS — or 1 once that has passed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import SQLite from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CONFIRM_JOB } from '../dokploy/confirmation.ts';
import { DEFAULT_APP_KEY } from '../realtime/index.ts';
import { sendWebhook } from '../test-support/http.ts';
import { freePort } from '../test-support/postgres.ts';
import { ADMIN } from '../test-support/server.ts';
import { BIN } from './test-cli.ts';

const TIMEOUT_MS = 4_000;
const SECRET = 'shutdown-test-secret-0123456789';

interface Started {
  child: ChildProcess;
  url: string;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const children = new Set<ChildProcess>();

async function startSlipway(dataDir: string, env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'start'], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      SLIPWAY_DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      DOKPLOY_WEBHOOK_SECRET: SECRET,
      SLIPWAY_ADMIN_EMAIL: ADMIN.email,
      SLIPWAY_ADMIN_PASSWORD: ADMIN.password,
      SLIPWAY_DEMO: 'false',
      SLIPWAY_RUNNER: 'false',
      SLIPWAY_SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal, at: Date.now() });
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  // Ready, not only live: migrated, database answering, git present.
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`slipway start exited (${child.exitCode}): ${out}`);
    const ok = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`slipway start was not ready within 120 s: ${out}`);
    await sleep(100);
  }
  return { child, url, port, output: () => out, exited };
}

/** A pusher-protocol client on the instance: resolves once the connection is established. */
async function pusherClient(port: number): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${DEFAULT_APP_KEY}?protocol=7&client=js&version=8.4.0`);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') })));
  const [data] = (await once(ws, 'message')) as [Buffer];
  expect(JSON.parse(data.toString('utf8')).event).toBe('pusher:connection_established');
  ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'operations-test' } }));
  await once(ws, 'message');
  return { ws, closed };
}

afterEach(() => {
  // A failed test leaves no process behind (each by its own pid).
  for (const c of children) c.kill('SIGKILL');
});

describe('slipway start: graceful shutdown on SIGTERM', () => {
  let stub: Server;
  const stubSockets = new Set<Socket>();
  let dataDir: string;

  beforeAll(async () => {
    // A Dokploy that accepts connections and never answers: a confirmation job asking it stays
    // running (claimed) until it is stopped.
    stub = createServer((s) => {
      stubSockets.add(s);
      s.on('error', () => {});
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', () => r()));
    dataDir = mkdtempSync(join(tmpdir(), 'slipway-shutdown-'));
  });
  afterAll(async () => {
    for (const s of stubSockets) s.destroy();
    await new Promise((r) => stub.close(r));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('closes websockets with 4200, releases the claimed job to the queue, and exits 0 within the bound', { timeout: 180_000 }, async () => {
    const stubPort = (stub.address() as { port: number }).port;
    const appFile = join(dataDir, 'slipway.yaml');
    writeFileSync(
      appFile,
      [
        'applications:',
        '  - id: confirmed',
        '    dokploy:',
        `      apiUrl: http://127.0.0.1:${stubPort}`,
        '      apiKeyEnv: DOKPLOY_API_KEY',
        '      applicationId: app-1',
        '',
      ].join('\n'),
    );
    const s = await startSlipway(dataDir, { SLIPWAY_CONFIG: appFile, DOKPLOY_API_KEY: 'dokploy-key', DOKPLOY_REQUEST_TIMEOUT_SECONDS: '120' });
    const { closed } = await pusherClient(s.port);

    // CI's `done` for an application Slipway confirms with Dokploy: the confirmation job is claimed
    // by this instance, and its request to Dokploy (the stub) gets no answer.
    const done = await sendWebhook(s.url, { deploymentId: 'run-1', applicationId: 'confirmed', status: 'done', branch: 'module/stalled' }, SECRET);
    expect(done.status).toBe(200);
    const sqlite = new SQLite(join(dataDir, 'slipway.db'), { readonly: true });
    type JobRow = { id: number; status: string; owner: string | null; attempts: number; locked_until: string | null; run_at: string };
    const job = () => sqlite.prepare('SELECT id, status, owner, attempts, locked_until, run_at FROM jobs WHERE type = ?').get(CONFIRM_JOB) as JobRow | undefined;
    const deadline = Date.now() + 20_000;
    while ((job()?.status !== 'running' || stubSockets.size === 0) && Date.now() < deadline) await sleep(50);
    expect(job()).toMatchObject({ status: 'running', attempts: 1, owner: expect.any(String) });
    expect(stubSockets.size).toBeGreaterThan(0);

    const sent = Date.now();
    s.child.kill('SIGTERM');
    const [close, exit] = await Promise.all([closed, s.exited]);

    expect(close.code).toBe(4200);
    expect(exit).toMatchObject({ code: 0, signal: null });
    // Running jobs get half the bound; the whole shutdown stays within it.
    expect(exit.at - sent).toBeLessThan(TIMEOUT_MS);
    // Back in the queue: due now, no owner, the interrupted attempt given back.
    const released = job()!;
    sqlite.close();
    expect(released).toMatchObject({ status: 'queued', owner: null, attempts: 0, locked_until: null });
    expect(Date.parse(released.run_at)).toBeLessThanOrEqual(Date.now());
    expect(s.output()).toContain('SIGTERM: shutting down');
    expect(s.output()).toContain('released 1 unfinished job(s) to the queue');
  });

  it('exits 1 once SLIPWAY_SHUTDOWN_TIMEOUT_MS has passed when a request never ends', { timeout: 180_000 }, async () => {
    const s = await startSlipway(dataDir, { SLIPWAY_CONFIG: '' });
    // A request whose body never comes: the server waits for it while it drains.
    const slow = connect(s.port, '127.0.0.1');
    slow.on('error', () => {});
    await once(slow, 'connect');
    slow.write('POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"em');
    await sleep(200);

    const sent = Date.now();
    s.child.kill('SIGTERM');
    const exit = await s.exited;
    slow.destroy();
    expect(exit.code).toBe(1);
    expect(exit.at - sent).toBeGreaterThanOrEqual(TIMEOUT_MS - 100);
    expect(exit.at - sent).toBeLessThan(TIMEOUT_MS + 3_000);
    expect(s.output()).toContain(`the shutdown did not finish within ${TIMEOUT_MS} ms`);
  });
});
