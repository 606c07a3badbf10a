/**
 * Issue #12 item 4, with real processes: a module deployed by the local runner (demo backend, in
 * its sandbox) goes on answering on the same URL after Slipway stops and starts again on the same
 * data folder, the API says `live.state: running`; a killed service is reported `stopped`, and
 * `POST /api/admin/modules/{slug}/services/start` starts it again on that URL.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.ts';
import { startServer, type RunningServer } from '../main.ts';
import { call } from '../test-support/http.ts';
import { ADMIN, createPgDatabase, TEST_SECRET } from '../test-support/server.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'slipway-restart-'));

async function start(o: { dataDir?: string; databaseUrl?: string } = {}): Promise<RunningServer> {
  const config = loadConfig({
    ...(o.databaseUrl ? { DATABASE_URL: o.databaseUrl } : {}),
    PORT: '0',
    HOST: '127.0.0.1',
    SLIPWAY_DATA_DIR: o.dataDir ?? dataDir,
    LOG_LEVEL: 'silent',
    DOKPLOY_WEBHOOK_SECRET: TEST_SECRET,
    SLIPWAY_ADMIN_EMAIL: ADMIN.email,
    SLIPWAY_ADMIN_PASSWORD: ADMIN.password,
    SLIPWAY_DEMO: 'true',
  });
  return startServer(config, { print: () => undefined });
}

async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms${last ? ` (last: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const answers = async (url: string) => {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    return res.status;
  } catch {
    return 0;
  }
};

describe('services of the local runner across a restart of Slipway', () => {
  let s: RunningServer | undefined;
  afterAll(async () => {
    await s?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('relaunches the deployed service on the same URL, reports its live state, and starts a killed one from the API', { timeout: 240_000 }, async () => {
    s = await start();
    let token = await s.ctx.auth.createToken(ADMIN.email, 'restart');
    const created = await call(s.url, 'POST', '/api/admin/modules', { token, body: { name: 'Parcels', fields: [{ name: 'label', type: 'string', required: true }], applications: ['backend'] } });
    expect([201, 202]).toContain(created.status);
    const status = (srv: RunningServer) => call(srv.url, 'GET', '/api/admin/deployments/parcels/status', { token });
    const done = await until(
      'the deployment finished',
      async () => {
        const r = await status(s!);
        return ['success', 'failed', 'cancelled'].includes(r.body.status) ? r.body : undefined;
      },
      150_000,
    );
    expect(done.status, JSON.stringify(done.all_logs?.slice(-20))).toBe('success');
    const url: string = done.targets[0].url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/parcels$/);
    expect(await answers(url)).toBe(200);
    // The links name the service's preview under Slipway's origin (docs/previews.md).
    expect(done.live).toEqual({ state: 'running', url: '/preview/parcels/backend/api/parcels', services: [{ application_id: 'backend', state: 'running', url: '/preview/parcels/backend/api/parcels' }] });
    // The module list says the same.
    const list = await call(s.url, 'GET', '/api/admin/modules', { token });
    expect(list.body.data.find((m: any) => m.slug === 'parcels').latest_deployment.live.state).toBe('running');

    // The runner's jobs have ended (a run still finishing when Slipway stops runs again at the next start).
    await until('the runner jobs ended', async () => {
      const open = await s!.ctx.database.db.selectFrom('jobs').select('id').where('type', 'like', 'runner.%').where('status', 'in', ['queued', 'running']).execute();
      return open.length === 0 ? true : undefined;
    });
    // Slipway stops: so does the service, but its release folder and service file stay.
    await s.close();
    s = undefined;
    expect(await answers(url)).toBe(0);
    const services = join(dataDir, 'runner', 'services');
    const recordFile = join(services, `${encodeURIComponent('backend/module-parcels')}.json`);
    const record = JSON.parse(readFileSync(recordFile, 'utf8'));
    expect(record).toMatchObject({ key: 'backend/module-parcels', port: Number(new URL(url).port) });
    expect(readdirSync(join(dataDir, 'runner', 'releases', 'backend')).filter((d) => d.startsWith('module-parcels-'))).toHaveLength(1);

    // Slipway starts again: the service answers on the same URL, and the API says so.
    s = await start();
    token = await s.ctx.auth.createToken(ADMIN.email, 'restart-2');
    await until('the service answers again', async () => ((await answers(url)) === 200 ? true : undefined), 60_000);
    const after = await status(s);
    expect(after.body.targets[0].url).toBe(url);
    expect(after.body.live.state).toBe('running');

    // The service dies (killed from outside): the API says stopped, so the page offers Start.
    // The relaunch rewrote the service file once its process had survived its first half second.
    const relaunched = await until('the service file names the relaunched process', async () => {
      const r = JSON.parse(readFileSync(recordFile, 'utf8'));
      return r.startedAt !== record.startedAt ? r : undefined;
    });
    expect(relaunched.port).toBe(record.port);
    const pid = relaunched.pid as number;
    process.kill(-pid, 'SIGKILL');
    await until('the service is gone', async () => ((await answers(url)) === 0 ? true : undefined), 10_000);
    const stopped = await status(s);
    expect(stopped.body.status).toBe('success');
    expect(stopped.body.live).toMatchObject({ state: 'stopped', services: [{ application_id: 'backend', state: 'stopped' }] });

    // Only its owner and admins: anyone else gets the 404 of a module they cannot see, and nothing starts.
    await s.ctx.auth.addUser('mallory@example.com', 'mallory-password', 'member');
    const mallory = await s.ctx.auth.createToken('mallory@example.com', 'm');
    expect((await call(s.url, 'POST', '/api/admin/modules/parcels/services/start', { token: mallory })).status).toBe(404);
    expect(await answers(url)).toBe(0);

    // Start, from the API: the same URL answers again.
    const started = await call(s.url, 'POST', '/api/admin/modules/parcels/services/start', { token });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(['running', 'starting']).toContain(started.body.live.state);
    await until('the started service answers', async () => ((await answers(url)) === 200 ? true : undefined), 30_000);
    expect((await status(s)).body.live.state).toBe('running');
    // Asking again while it runs changes nothing.
    const again = await call(s.url, 'POST', '/api/admin/modules/parcels/services/start', { token });
    expect(again.status).toBe(200);
    expect(again.body.live.state).toBe('running');
  });
});

/** Two instances (PostgreSQL, one data folder) start together: one relaunch job, one start of the service. */
describe('relaunch with several instances', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-restart-pg-'));
  let pgDb: Awaited<ReturnType<typeof createPgDatabase>>;
  const servers: RunningServer[] = [];
  afterAll(async () => {
    for (const x of servers) await x.close().catch(() => undefined);
    await pgDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('only one of them starts the kept service again', { timeout: 240_000 }, async () => {
    pgDb = await createPgDatabase();
    const first = await start({ dataDir: dir, databaseUrl: pgDb.url });
    const token = await first.ctx.auth.createToken(ADMIN.email, 'pg');
    await call(first.url, 'POST', '/api/admin/modules', { token, body: { name: 'Crates', fields: [{ name: 'label', type: 'string' }], applications: ['backend'] } });
    const db = first.ctx.database.db;
    const done = await until(
      'the deployment and its runner jobs finished',
      async () => {
        const d = (await call(first.url, 'GET', '/api/admin/deployments/crates/status', { token })).body;
        const open = await db.selectFrom('jobs').select('id').where('type', 'like', 'runner.%').where('status', 'in', ['queued', 'running']).execute();
        return d.status === 'success' && open.length === 0 ? d : undefined;
      },
      150_000,
    );
    const url: string = done.targets[0].url;
    const recordFile = join(dir, 'runner', 'services', `${encodeURIComponent('backend/module-crates')}.json`);
    const before = JSON.parse(readFileSync(recordFile, 'utf8'));
    await first.close();
    expect(await answers(url)).toBe(0);

    // Two instances at once, on the same database and data folder.
    servers.push(...(await Promise.all([start({ dataDir: dir, databaseUrl: pgDb.url }), start({ dataDir: dir, databaseUrl: pgDb.url })])));
    await until('the service answers again', async () => ((await answers(url)) === 200 ? true : undefined), 60_000);
    const db2 = servers[0]!.ctx.database.db;
    const relaunches = () => db2.selectFrom('jobs').select(['status', 'result', 'dedupe_key']).where('type', '=', 'runner.relaunch').where('dedupe_key', 'like', '%backend/module-crates%').execute();
    await until('the relaunch job ended', async () => ((await relaunches()).every((j) => j.status === 'done') ? true : undefined));
    // Both asked; the key made it one job, which one instance ran.
    expect((await relaunches()).map((j) => [j.dedupe_key, JSON.parse(j.result!).outcome])).toEqual([[`runner.relaunch:backend/module-crates:${before.startedAt}`, 'relaunched']]);
    const after = JSON.parse(readFileSync(recordFile, 'utf8'));
    expect(after.port).toBe(before.port);
    // Started once: a second start would have replaced the first (a new start time in the file).
    await new Promise((r) => setTimeout(r, 2000));
    expect(JSON.parse(readFileSync(recordFile, 'utf8')).startedAt).toBe(after.startedAt);
    for (const x of servers) {
      const t = await x.ctx.auth.createToken(ADMIN.email, 'pg2');
      expect((await call(x.url, 'GET', '/api/admin/deployments/crates/status', { token: t })).body.live.state).toBe('running');
    }
  });
});
