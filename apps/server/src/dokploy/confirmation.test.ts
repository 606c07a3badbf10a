import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentChange } from '../deployments/broadcaster.ts';
import { DokployStub, eventually } from '../test-support/dokploy-stub.ts';
import { sendWebhook } from '../test-support/http.ts';
import { DIALECTS, startTestServer, TEST_SECRET, type TestServer } from '../test-support/server.ts';
import { DokployClient } from './dokploy.client.ts';

/** A stand-in for the deployed module's public URL: answers /<slug>/health with what the test sets. */
async function startApp() {
  const state = { status: 200, hits: 0 };
  const server: Server = createServer((req, res) => {
    state.hits++;
    res.writeHead(req.url?.endsWith('/health') ? state.status : 404).end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

describe.each(DIALECTS)('Dokploy confirmation after CI says done, on %s (Dokploy is a contract stub)', (dialect) => {
  let s: TestServer;
  let stub: DokployStub;
  let app: Awaited<ReturnType<typeof startApp>>;
  let dir: string;
  const changes: DeploymentChange[] = [];
  let run = 7000;

  beforeAll(async () => {
    stub = await DokployStub.start({ apiKey: 'dokploy-key-xyz' });
    stub.addApplication({ applicationId: 'dok-backend', token: 'tok-backend', branch: 'module/products' });
    stub.addApplication({ applicationId: 'dok-web', token: 'tok-web' });
    app = await startApp();
    dir = mkdtempSync(join(tmpdir(), 'slipway-dokploy-'));
    const dokploy = (applicationId: string) => ({ apiUrl: stub.url, apiKeyEnv: 'TEST_DOKPLOY_KEY', applicationId });
    writeFileSync(
      join(dir, 'apps.json'),
      JSON.stringify({
        applications: [
          { id: 'backend', dokploy: { ...dokploy('dok-backend'), webhookUrl: stub.webhookUrl('tok-backend') } },
          { id: 'web', publicUrl: `${app.url}/{slug}/`, healthPath: 'health', dokploy: dokploy('dok-web') },
          { id: 'nokey', dokploy: { apiUrl: stub.url, apiKeyEnv: 'UNSET_DOKPLOY_KEY', applicationId: 'dok-backend' } },
          { id: 'plain' },
        ],
      }),
    );
    s = await startTestServer(dialect, {
      SLIPWAY_CONFIG: join(dir, 'apps.json'),
      TEST_DOKPLOY_KEY: 'dokploy-key-xyz',
      DOKPLOY_POLL_INTERVAL_SECONDS: '0.05',
      DOKPLOY_CONFIRM_TIMEOUT_SECONDS: '60',
      HEALTH_CHECK_ATTEMPTS: '3',
      HEALTH_CHECK_INTERVAL_SECONDS: '0.05',
      HEALTH_CHECK_TIMEOUT_SECONDS: '2',
      DEPLOYMENT_STALE_AFTER_SECONDS: '3600',
    });
    s.ctx.broadcaster.add({ publish: (c) => void changes.push(c) });
  });
  afterAll(async () => {
    await s?.close();
    await stub?.close();
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ci = (applicationId: string, slug: string) => {
    const base = { deploymentId: `gh-${++run}`, applicationId, branch: `module/${slug}`, commit: `c0ffee${run}`, moduleName: slug };
    return (status: string, extra: Record<string, unknown> = {}) => sendWebhook(s.url, { ...base, status, ...extra }, TEST_SECRET);
  };
  const target = (deploymentId: string, applicationId: string) =>
    s.ctx.database.db.selectFrom('deployment_targets').selectAll().where('deployment_id', '=', Number(deploymentId)).where('application_id', '=', applicationId).executeTakeFirstOrThrow();
  const finished = (deploymentId: string, applicationId: string) =>
    eventually(async () => {
      const t = await target(deploymentId, applicationId);
      return ['success', 'failed', 'cancelled'].includes(t.status) && t;
    }, `target ${applicationId} of ${deploymentId} to finish`);
  const lastChange = (deploymentId: string) => changes.filter((c) => c.deploymentId === deploymentId).at(-1)!;

  it('CI done while Dokploy still runs → deploying; Dokploy done → success with its log tail', async () => {
    const send = ci('backend', 'products');
    await send('running', { message: 'Building...' });
    // CI triggers Dokploy's webhook the way the workflow does, then reports done.
    const queued = await new DokployClient().triggerWebhook(stub.webhookUrl('tok-backend'), { branch: 'module/products', gitSourced: true });
    expect(queued.kind).toBe('queued');
    const dep = stub.deploymentsOf('dok-backend')[0]!;
    stub.log(dep.deploymentId, 'Pulling ghcr.io/acme/backend:module-products', 'Starting container');

    const done = await send('done', { message: 'CI done' });
    expect(done.body).toMatchObject({ outcome: 'accepted', status: 'deploying' });
    const id = done.body.deployment_id as string;

    const polled = stub.count('deployment.all');
    await eventually(async () => stub.count('deployment.all') >= polled + 2, 'two polls of a running Dokploy deployment');
    expect((await target(id, 'backend')).status).toBe('deploying');
    expect(lastChange(id).payload).toMatchObject({ status: 'deploying', message: `Dokploy is deploying (deployment ${dep.deploymentId})` });
    expect(stub.calls.filter((c) => c.path === '/api/deployment.all').every((c) => c.headers['x-api-key'] === 'dokploy-key-xyz')).toBe(true);

    stub.finish(dep.deploymentId, 'done', { logs: ['Container healthy'] });
    const t = await finished(id, 'backend');
    expect(t).toMatchObject({ status: 'success', progress: 100, message: `Dokploy deployment ${dep.deploymentId} done` });
    const p = lastChange(id).payload;
    expect(p).toMatchObject({ status: 'success', progress: 100, message: "Module 'products' deployed successfully! 🎉" });
    expect(p.logs).toEqual(expect.arrayContaining(['Pulling ghcr.io/acme/backend:module-products', 'Starting container', 'Container healthy']));
  });

  it('Dokploy error → failed, with its error and log tail', async () => {
    const send = ci('backend', 'orders');
    await send('running');
    const dep = stub.addDeployment('dok-backend', { logs: ['Step 1/4', 'npm ERR! missing script: start'] });
    const id = (await send('done')).body.deployment_id as string;
    stub.finish(dep.deploymentId, 'error', { errorMessage: 'Container exited with code 1' });
    const t = await finished(id, 'backend');
    expect(t).toMatchObject({ status: 'failed', message: `Dokploy deployment ${dep.deploymentId} failed: Container exited with code 1` });
    expect(lastChange(id).payload).toMatchObject({ status: 'failed', message: `Dokploy deployment ${dep.deploymentId} failed: Container exited with code 1` });
    expect(lastChange(id).payload.logs).toEqual(expect.arrayContaining(['npm ERR! missing script: start']));
  });

  it('a Dokploy API that fails for a while is asked again, within bounds', async () => {
    const send = ci('backend', 'retry');
    await send('running');
    const dep = stub.addDeployment('dok-backend', { logs: ['ok'] });
    stub.finish(dep.deploymentId, 'done');
    stub.failNext('deployment.all', 503, 2);
    const id = (await send('done')).body.deployment_id as string;
    expect(await finished(id, 'backend')).toMatchObject({ status: 'success' });
  });

  it('health check as the last stage: passing → success with the public URL', async () => {
    app.state.status = 200;
    const send = ci('web', 'catalog');
    await send('running');
    const dep = stub.addDeployment('dok-web', { logs: ['started'] });
    const id = (await send('done')).body.deployment_id as string;
    stub.finish(dep.deploymentId, 'done');
    const t = await finished(id, 'web');
    expect(t).toMatchObject({ status: 'success', url: `${app.url}/catalog/`, message: `Health check passed: ${app.url}/catalog/health answered HTTP 200` });
    expect(lastChange(id).payload.url).toBe(`${app.url}/catalog/`);
  });

  it('health check failing → failed with the reason, after bounded attempts', async () => {
    app.state.status = 503;
    const hits = app.state.hits;
    const send = ci('web', 'broken');
    await send('running');
    const dep = stub.addDeployment('dok-web');
    const id = (await send('done')).body.deployment_id as string;
    stub.finish(dep.deploymentId, 'done');
    const t = await finished(id, 'web');
    expect(t).toMatchObject({ status: 'failed', message: `Health check of ${app.url}/broken/health failed after 3 attempts: HTTP 503` });
    expect(app.state.hits - hits).toBe(3);
  });

  it('a missing API key fails the target with the variable named, never a value', async () => {
    const send = ci('nokey', 'secretless');
    const id = (await send('done')).body.deployment_id as string;
    const t = await finished(id, 'nokey');
    expect(t.status).toBe('failed');
    expect(t.message).toContain('UNSET_DOKPLOY_KEY');
  });

  it('an application without Dokploy API settings is done on CI’s word, as before', async () => {
    const r = await ci('plain', 'simple')('done');
    expect(r.body).toMatchObject({ outcome: 'accepted', status: 'success' });
  });

  it('a late or repeated CI done starts no second confirmation', async () => {
    const send = ci('backend', 'twice');
    await send('running');
    const dep = stub.addDeployment('dok-backend');
    const first = await send('done', { message: 'done 1' });
    await send('done', { message: 'done 2' });
    stub.finish(dep.deploymentId, 'done');
    const id = first.body.deployment_id as string;
    await finished(id, 'backend');
    const jobs = await s.ctx.database.db.selectFrom('jobs').select('dedupe_key').where('dedupe_key', 'like', `dokploy.confirm:${id}:backend:%:0`).execute();
    expect(jobs).toHaveLength(1);
  });

  it("a CI re-run: the earlier attempt's confirmation stops, the new attempt's decides", async () => {
    const send = ci('backend', 'rerun');
    await send('running', { runAttempt: 1 });
    const first = stub.addDeployment('dok-backend');
    const id = (await send('done', { runAttempt: 1 })).body.deployment_id as string;
    expect((await send('running', { runAttempt: 2 })).body).toMatchObject({ outcome: 'accepted', status: 'building' });
    // Attempt 1's Dokploy deployment fails after the re-run began: its confirmation must not end attempt 2.
    stub.finish(first.deploymentId, 'error', { errorMessage: 'attempt 1 broke' });
    const old = () => s.ctx.database.db.selectFrom('jobs').select(['status', 'result']).where('dedupe_key', 'like', `dokploy.confirm:${id}:backend:ci:%`).execute();
    await eventually(async () => (await old()).some((j) => j.result?.includes('took over')), "attempt 1's confirmation to stop");
    expect((await target(id, 'backend')).status).toBe('building');

    const second = stub.addDeployment('dok-backend');
    expect((await send('done', { runAttempt: 2 })).body).toMatchObject({ outcome: 'accepted', status: 'deploying' });
    stub.finish(second.deploymentId, 'done');
    expect(await finished(id, 'backend')).toMatchObject({ status: 'success', run_attempt: 2 });
  });
});
