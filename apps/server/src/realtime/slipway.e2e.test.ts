/**
 * End to end with the whole Slipway server: a signed CI webhook becomes a
 * `.deployment.status-updated` event in laravel-echo/pusher-js; and with two Slipway processes on
 * one PostgreSQL and one Redis, a webhook sent to instance A reaches a client connected to B.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { call, sendWebhook } from '../test-support/http.ts';
import { freePort } from '../test-support/postgres.ts';
import { startRedis } from '../test-support/redis.ts';
import { ADMIN, createPgDatabase, startTestServer, TEST_SECRET as WEBHOOK_SECRET } from '../test-support/server.ts';
import Echo from 'laravel-echo';
import { nextCall, PusherJs } from './testing.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const SPEC_PAYLOAD = { deploymentId: 'test-123', status: 'done', branch: 'module/test', message: 'Test deployment' };
const REALTIME_SECRET = 'realtime-secret-0123456789';

/** Signs in as the admin with the cookie session, the way the browser does; returns Echo's auth headers. */
async function adminHeaders(base: string): Promise<Record<string, string>> {
  const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  expect(res.status).toBe(200);
  const { csrf_token } = (await res.json()) as { csrf_token: string };
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return { Cookie: cookies, 'X-XSRF-TOKEN': csrf_token };
}

/**
 * What a browser does for pusher-js: POST /broadcasting/auth form-encoded, its cookies attached and
 * the CSRF header set (Angular's HttpClient does it). Node's XHR emulation refuses to set Cookie,
 * so the same request is made with fetch through pusher-js's custom authorization hook.
 */
function cookieAuthorization(base: string, headers: Record<string, string>) {
  return {
    customHandler: (params: { socketId: string; channelName: string }, callback: (err: Error | null, auth: any) => void) => {
      fetch(`${base}/broadcasting/auth`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ socket_id: params.socketId, channel_name: params.channelName }),
      }).then(
        async (res) => (res.ok ? callback(null, await res.json()) : callback(new Error(`auth answered ${res.status}`), null)),
        (err) => callback(err, null),
      );
    },
  };
}

function pusherFor(base: string, key: string, headers: Record<string, string>) {
  const p = new PusherJs(key, {
    cluster: 'mt1',
    wsHost: '127.0.0.1',
    wsPort: Number(new URL(base).port),
    forceTLS: false,
    enabledTransports: ['ws'],
    channelAuthorization: cookieAuthorization(base, headers) as never,
  });
  cleanups.push(() => p.disconnect());
  return p;
}

describe('Slipway server end to end', () => {
  it("delivers the spec's signed test webhook to an admin's Echo client as .deployment.status-updated", async () => {
    const server = await startTestServer('sqlite', { PUSHER_APP_SECRET: REALTIME_SECRET });
    cleanups.push(() => server.close());
    const { realtime } = (await call(server.url, 'GET', '/api/config')).body;

    const headers = await adminHeaders(server.url);
    const echo = new Echo({
      broadcaster: 'pusher',
      key: realtime.key,
      cluster: realtime.cluster,
      wsHost: '127.0.0.1',
      wsPort: realtime.port,
      forceTLS: false,
      enabledTransports: ['ws'],
      channelAuthorization: cookieAuthorization(server.url, headers),
      Pusher: PusherJs,
    } as never);
    cleanups.push(() => echo.disconnect());
    const channel = echo.private('deployments');
    await nextCall((cb) => channel.subscribed(cb), 'admin subscribed to private-deployments');
    const got = nextCall<any>((cb) => channel.listen('.deployment.status-updated', cb), 'deployment.status-updated');

    const answer = await sendWebhook(server.url, SPEC_PAYLOAD, WEBHOOK_SECRET);
    expect(answer.status).toBe(200);
    expect(await got).toMatchObject({
      module_slug: 'test',
      branch_name: 'module/test',
      status: 'success',
      message: "Module 'test' deployed successfully! 🎉",
      progress: 100,
      sequence: expect.any(Number),
    });

    // Without a session, the channel is refused.
    const anonymous = new PusherJs(realtime.key, { cluster: 'mt1', wsHost: '127.0.0.1', wsPort: Number(new URL(server.url).port), forceTLS: false, enabledTransports: ['ws'], channelAuthorization: { endpoint: `${server.url}/broadcasting/auth`, transport: 'ajax' } });
    cleanups.push(() => anonymous.disconnect());
    const err = await nextCall<any>((cb) => anonymous.subscribe('private-deployments').bind('pusher:subscription_error', cb), 'refusal');
    expect([401, 403]).toContain(err.status);
  });

  it('two Slipway processes on one PostgreSQL and one Redis: a webhook to A reaches a pusher-js client on B', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const db = await createPgDatabase();
    cleanups.push(() => db.drop());

    const startProcess = async (name: string) => {
      const dataDir = mkdtempSync(join(tmpdir(), `slipway-${name}-`));
      const port = await freePort();
      const bin = fileURLToPath(new URL('../../bin/slipway.mjs', import.meta.url));
      const child: ChildProcess = spawn(process.execPath, [bin, 'start'], {
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          SLIPWAY_DATA_DIR: dataDir,
          DATABASE_URL: db.url,
          REDIS_URL: redis.url,
          PUSHER_APP_SECRET: REALTIME_SECRET,
          DOKPLOY_WEBHOOK_SECRET: WEBHOOK_SECRET,
          SLIPWAY_ADMIN_EMAIL: ADMIN.email,
          SLIPWAY_ADMIN_PASSWORD: ADMIN.password,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr!.on('data', (d) => (stderr += d));
      cleanups.push(async () => {
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
          if (child.exitCode === null) child.kill('SIGKILL');
        }
        rmSync(dataDir, { recursive: true, force: true });
      });
      const base = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 45_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`instance ${name} exited (${child.exitCode}): ${stderr}`);
        const ok = await fetch(`${base}/readyz`).then((r) => r.ok, () => false);
        if (ok) return base;
        if (Date.now() > deadline) throw new Error(`instance ${name} did not start within 45 s: ${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    // One after the other: both run the migrations on start.
    const a = await startProcess('a');
    const b = await startProcess('b');
    const { realtime } = (await call(b, 'GET', '/api/config')).body;
    expect(realtime.driver).toBe('redis');

    const headers = await adminHeaders(b);
    const onB = pusherFor(b, realtime.key, headers);
    const channel = onB.subscribe('private-deployments');
    await nextCall((cb) => channel.bind('pusher:subscription_succeeded', cb), 'subscribed on B');
    const got = nextCall<any>((cb) => channel.bind('deployment.status-updated', cb), 'event on B', 20_000);

    const answer = await sendWebhook(a, SPEC_PAYLOAD, WEBHOOK_SECRET);
    expect(answer.status).toBe(200);
    expect(await got).toMatchObject({ module_slug: 'test', status: 'success' });
  }, 120_000);
});
