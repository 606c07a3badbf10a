import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { sendWebhook } from '../test-support/http.ts';
import { freePort } from '../test-support/postgres.ts';
import { createPgDatabase, DIALECTS, TEST_SECRET } from '../test-support/server.ts';

const BIN = resolve(import.meta.dirname, '../../bin/slipway.mjs');

async function waitHealthy(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1000) })).ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error('server did not become healthy in 30 s');
}

/**
 * Sends signed webhooks in a loop, kill -9s the server in the middle, restarts it, and checks that
 * every delivery that was answered 2xx is in the database.
 */
describe.each(DIALECTS)('crash safety on %s', (dialect) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'slipway-crash-'));
  let drop: (() => Promise<void>) | undefined;
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await drop?.();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every acknowledged delivery across kill -9', { timeout: 180_000 }, async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const env: Record<string, string> = { PORT: String(port), HOST: '127.0.0.1', SLIPWAY_DATA_DIR: dataDir, DOKPLOY_WEBHOOK_SECRET: TEST_SECRET, LOG_LEVEL: 'error', SLIPWAY_ADMIN_PASSWORD: 'crash-test-pw' };
    if (dialect === 'postgres') {
      const pg = await createPgDatabase();
      drop = pg.drop;
      env.DATABASE_URL = pg.url;
    }
    const start = () => {
      const c = spawn(process.execPath, [BIN, 'start'], { env: { ...process.env, ...env }, stdio: 'ignore' });
      children.push(c);
      return c;
    };

    const server = start();
    await waitHealthy(url, server);
    const acked: string[] = [];
    let sent = 0;
    let killed = false;
    // Four senders in flight; the kill lands while requests are being processed.
    const sender = async (lane: number) => {
      for (let i = 0; i < 400 && !(killed && sent > acked.length + 20); i++) {
        const id = `crash-${lane}-${i}`;
        sent++;
        try {
          const r = await sendWebhook(url, { deploymentId: id, applicationId: 'backend', branch: `module/crash-${lane}`, status: 'running', message: id }, TEST_SECRET);
          if (r.status === 200) acked.push(id);
        } catch {
          /* connection refused or reset once the server is dead: not acknowledged */
        }
        if (!killed && acked.length >= 150) {
          killed = true;
          server.kill('SIGKILL');
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(sender));
    expect(killed).toBe(true);
    expect(acked.length).toBeGreaterThanOrEqual(150);

    const again = start();
    await waitHealthy(url, again);
    const database = openDatabase(loadConfig(env));
    try {
      const rows = await database.db.selectFrom('deployment_targets').select('external_id').where('external_id', 'like', 'crash-%').execute();
      const stored = new Set(rows.map((r) => r.external_id));
      const lost = acked.filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
    } finally {
      await database.close();
      again.kill('SIGTERM');
    }
  });
});
