/**
 * The demo out of the box, end to end on one machine: creating a module publishes it to the
 * hosted demo repositories, the local runner runs their pipelines (build, start, health), reports
 * through the signed webhook, and a pusher-js client sees pending → building → deploying →
 * success with a module URL that answers. A module the demo build rejects ends `failed` with the
 * build's log lines.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PusherJs } from '../realtime/testing.ts';
import { call } from '../test-support/http.ts';
import { ADMIN, startTestServer, type TestServer } from '../test-support/server.ts';

const REALTIME_SECRET = 'realtime-secret-0123456789';

interface StatusEvent {
  deployment_id: string;
  module_slug: string | null;
  status: string;
  message: string | null;
  logs: string[];
  url: string | null;
  targets: { application_id: string; status: string; url: string | null }[];
}

describe('demo applications, end to end', () => {
  let s: TestServer;
  let token: string;
  let pusher: InstanceType<typeof PusherJs>;
  const events: StatusEvent[] = [];

  beforeAll(async () => {
    s = await startTestServer('sqlite', { SLIPWAY_DEMO: 'true', PUSHER_APP_SECRET: REALTIME_SECRET });
    token = await s.ctx.auth.createToken(ADMIN.email, 'e2e');
    const admin = await s.ctx.database.db.selectFrom('users').select('id').where('email', '=', ADMIN.email).executeTakeFirstOrThrow();
    const { realtime } = (await call(s.url, 'GET', '/api/config')).body;
    pusher = new PusherJs(realtime.key, {
      cluster: 'mt1',
      wsHost: '127.0.0.1',
      wsPort: Number(new URL(s.url).port),
      forceTLS: false,
      enabledTransports: ['ws'],
      channelAuthorization: {
        customHandler: (params: { socketId: string; channelName: string }, callback: (err: Error | null, auth: any) => void) => {
          fetch(`${s.url}/broadcasting/auth`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ socket_id: params.socketId, channel_name: params.channelName }),
          }).then(
            async (res) => (res.ok ? callback(null, await res.json()) : callback(new Error(`auth answered ${res.status}`), null)),
            (err) => callback(err, null),
          );
        },
      } as never,
    });
    const channel = pusher.subscribe(`private-App.Models.User.${admin.id}`);
    await new Promise<void>((resolve, reject) => {
      channel.bind('pusher:subscription_succeeded', () => resolve());
      channel.bind('pusher:subscription_error', (e: unknown) => reject(new Error(`subscription refused: ${JSON.stringify(e)}`)));
    });
    channel.bind('deployment.status-updated', (e: StatusEvent) => void events.push(e));
  });

  afterAll(async () => {
    pusher?.disconnect();
    await s?.close();
  });

  async function until(check: () => StatusEvent | undefined, what: string, ms = 120_000): Promise<StatusEvent> {
    const end = Date.now() + ms;
    for (;;) {
      const e = check();
      if (e) return e;
      if (Date.now() > end) throw new Error(`${what}: not seen; events: ${JSON.stringify(events.map((x) => [x.module_slug, x.status, x.message]))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('lists the demo applications with their repository packs, and serves their repositories over git smart HTTP', async () => {
    const apps = await call(s.url, 'GET', '/api/admin/applications', { token });
    expect(apps.body.data.map((a: any) => [a.id, a.template_pack, a.git])).toEqual([
      ['backend', 'demo-api', true],
      ['frontend', 'demo-web', true],
    ]);
    // Asynchronously: the server answering it runs in this process.
    const { stdout: refs } = await promisify(execFile)('git', ['-c', `http.extraHeader=Authorization: Bearer ${token}`, 'ls-remote', `${s.url}/git/backend.git`], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, HOME: s.dataDir, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' },
    });
    expect(refs).toMatch(/^[0-9a-f]{40}\trefs\/heads\/main$/m);
  });

  it('creating a module runs the whole flow to a live, reachable module URL', { timeout: 150_000 }, async () => {
    const created = await call(s.url, 'POST', '/api/admin/modules', {
      token,
      body: {
        name: 'Products',
        description: 'What we sell',
        fields: [
          { name: 'title', type: 'string', required: true, unique: true },
          { name: 'price', type: 'decimal', required: true },
          { name: 'status', type: 'enum', options: ['draft', 'live'], default: 'draft' },
        ],
        applications: ['backend', 'frontend'],
      },
    });
    // Answered once stored (202), with its pending deployment; the publish follows live.
    expect(created.status).toBe(202);
    expect(created.body.deployment).toMatchObject({ module_slug: 'products', status: 'pending' });

    const done = await until(() => events.find((e) => e.module_slug === 'products' && (e.status === 'success' || e.status === 'failed')), 'products finished');
    expect(done.status, JSON.stringify(done.logs)).toBe('success');
    expect(done.message).toBe("Module 'products' deployed successfully! 🎉");
    // Rendered with the repositories' own packs, one file each, as the publish's live events say.
    const said = events.filter((e) => e.module_slug === 'products').map((e) => e.message);
    expect(said).toContain('Rendered 1 file (demo-api); pushing module/products to backend');
    expect(said).toContain('Rendered 1 file (demo-web); pushing module/products to frontend');
    const seen = events.filter((e) => e.module_slug === 'products').map((e) => e.status);
    const order = seen.filter((st, i) => st !== seen[i - 1]);
    expect(order).toEqual(['pending', 'building', 'deploying', 'success']);
    expect(done.targets.map((t) => [t.application_id, t.status])).toEqual([
      ['backend', 'success'],
      ['frontend', 'success'],
    ]);

    // The live URLs answer with the module: the final payload's, the API's data, the page.
    expect(done.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect((await fetch(done.url!)).status).toBe(200);
    const api = done.targets.find((t) => t.application_id === 'backend')!.url!;
    expect(api).toMatch(/\/api\/products$/);
    const rows = await (await fetch(api)).json();
    expect(rows).toEqual([
      expect.objectContaining({ id: 1, title: 'Sample', price: 12.5, status: 'draft' }),
      expect.objectContaining({ id: 2, title: 'Changed', price: 99.99, status: 'live' }),
    ]);
    const created2 = await fetch(api, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Kayak', price: 499 }) });
    expect(created2.status).toBe(201);
    const page = await fetch(done.targets.find((t) => t.application_id === 'frontend')!.url!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h1 data-module="products">Products</h1>');

    // The same state over the admin API.
    const status = await call(s.url, 'GET', '/api/admin/deployments/products/status', { token });
    expect(status.body.status ?? status.body.data?.status).toBe('success');
  });

  it('a module whose build fails ends failed with the build log lines', { timeout: 150_000 }, async () => {
    const created = await call(s.url, 'POST', '/api/admin/modules', {
      token,
      body: {
        name: 'Orders',
        fields: [
          { name: 'reference', type: 'string', required: true },
          // The demo backend serves relations only to modules it has: its build check refuses this one.
          { name: 'customer', type: 'relation', relation: 'ghosts' },
        ],
        applications: ['backend'],
      },
    });
    expect([201, 202]).toContain(created.status);
    const failed = await until(() => events.find((e) => e.module_slug === 'orders' && (e.status === 'failed' || e.status === 'success')), 'orders finished');
    expect(failed.status).toBe('failed');
    expect(failed.message).toContain("Build failed: 'Check modules' failed (exit 1)");
    expect(failed.logs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^error: orders\.json: field 'customer' is a relation to 'ghosts', which is not a module of this application/),
        '✗ Check modules: exit 1',
      ]),
    );
    const seen = events.filter((e) => e.module_slug === 'orders').map((e) => e.status);
    expect(seen).not.toContain('deploying');
  });

  it('stopping Slipway stops the deployed services', { timeout: 60_000 }, async () => {
    const done = events.find((e) => e.module_slug === 'products' && e.status === 'success')!;
    const api = done.targets.find((t) => t.application_id === 'backend')!.url!;
    expect((await fetch(api)).status).toBe(200);
    await s.close();
    await expect(fetch(api, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
    s = undefined as unknown as TestServer;
  });
});
