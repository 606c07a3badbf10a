/**
 * Issue #16, item 2, for a target deployed by CI and Dokploy: a rollback sets the Dokploy
 * application (a `docker` source) to the image tag `sha-<short>` of the commit the chosen deployment
 * ran, keeping its registry login (`application.one`, then `application.saveDockerProvider`), deploys it
 * (`application.deploy`) and follows Dokploy to the end, against the Dokploy contract stub. An
 * application Dokploy builds from git cannot take a tag: 409, and Dokploy is left untouched.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DokployStub, eventually } from '../test-support/dokploy-stub.ts';
import { call, sendWebhook } from '../test-support/http.ts';
import { ADMIN, startTestServer, TEST_SECRET, type TestServer } from '../test-support/server.ts';

const V1 = '1a2b3c4d5e6f708192a3b4c5d6e7f80912345678';
const V2 = '9f8e7d6c5b4a39281706f5e4d3c2b1a098765432';

describe('rolling back a Dokploy application to an image tag', () => {
  let s: TestServer;
  let dokploy: DokployStub;
  let admin: string;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-rollback-dokploy-'));
  let run = 0;

  beforeAll(async () => {
    dokploy = await DokployStub.start({ apiKey: 'rb-key-0123456789' });
    const app = dokploy.addApplication({ applicationId: 'dok-api', source: 'docker', registry: { username: 'ci-bot', password: 'registry-password', registryUrl: 'ghcr.io' } });
    (app as { dockerImage?: string }).dockerImage = 'ghcr.io/acme/api:module-boats';
    dokploy.addApplication({ applicationId: 'dok-web', source: 'github' });
    writeFileSync(
      join(dir, 'apps.json'),
      JSON.stringify({
        applications: [
          { id: 'api', dokploy: { apiUrl: dokploy.url, apiKeyEnv: 'RB_DOKPLOY_KEY', applicationId: 'dok-api' } },
          { id: 'web', dokploy: { apiUrl: dokploy.url, apiKeyEnv: 'RB_DOKPLOY_KEY', applicationId: 'dok-web' } },
        ],
      }),
    );
    s = await startTestServer('sqlite', { SLIPWAY_DEMO: 'false', SLIPWAY_CONFIG: join(dir, 'apps.json'), RB_DOKPLOY_KEY: 'rb-key-0123456789', DOKPLOY_POLL_INTERVAL_SECONDS: '0.05' });
    admin = await s.ctx.auth.createToken(ADMIN.email, 't');
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await dokploy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** CI builds `commit` of module/boats for `app`, Dokploy deploys it: a successful deployment's id. */
  async function deployed(app: string, dokployApp: string, commit: string): Promise<string> {
    const base = { deploymentId: `gh-${++run}`, applicationId: app, branch: 'module/boats', commit, moduleName: 'boats' };
    const started = await sendWebhook(s.url, { ...base, status: 'running' }, TEST_SECRET);
    const id = started.body.deployment_id as string;
    dokploy.addDeployment(dokployApp, { status: 'done', description: `Hash: ${commit}` });
    await sendWebhook(s.url, { ...base, status: 'done' }, TEST_SECRET);
    await eventually(async () => (await call(s.url, 'GET', `/api/admin/deployments/${id}`, { token: admin })).body.status === 'success', `deployment ${id} to succeed`);
    return id;
  }

  it('sets the image to sha-<short> of the chosen deployment, deploys it, and follows Dokploy to success', async () => {
    const v1 = await deployed('api', 'dok-api', V1);
    await deployed('api', 'dok-api', V2);
    const before = dokploy.calls.length;

    const rb = await call(s.url, 'POST', '/api/admin/modules/boats/rollback', { token: admin, body: { deploymentId: v1 } });
    expect(rb.status).toBe(201);
    expect(rb.body).toMatchObject({ rollback_of: v1, targets: [{ application_id: 'api', commit_sha: V1, status: 'deploying' }] });
    const calls = dokploy.calls.slice(before).map((c) => `${c.method} ${c.path}`);
    expect(calls).toEqual(['GET /api/application.one', 'POST /api/application.saveDockerProvider', 'POST /api/application.deploy']);
    const saved = JSON.parse(dokploy.calls.find((c) => c.path === '/api/application.saveDockerProvider')!.body);
    // Exactly the commit's tag, with the registry login as it was.
    expect(saved).toEqual({ applicationId: 'dok-api', dockerImage: 'ghcr.io/acme/api:sha-1a2b3c4', username: 'ci-bot', password: 'registry-password', registryUrl: 'ghcr.io' });
    expect(JSON.parse(dokploy.calls.at(-1)!.body)).toMatchObject({ applicationId: 'dok-api', description: `Hash: ${V1}` });
    expect((dokploy.application('dok-api') as { dockerImage?: string }).dockerImage).toBe('ghcr.io/acme/api:sha-1a2b3c4');
    // Not a word of the registry password in what the API answers.
    expect(JSON.stringify(rb.body)).not.toContain('registry-password');

    // Dokploy finishes the deployment it queued: the rollback succeeds.
    const queued = dokploy.deploymentsOf('dok-api')[0]!;
    expect(queued.status).toBe('running');
    dokploy.finish(queued.deploymentId, 'done');
    const done = await eventually(async () => {
      const d = (await call(s.url, 'GET', `/api/admin/deployments/${rb.body.deployment_id}`, { token: admin })).body;
      return d.status === 'success' && d;
    }, 'the rollback to succeed');
    expect(done).toMatchObject({ rollback_of: v1, targets: [{ commit_sha: V1, status: 'success' }] });
  }, 60_000);

  it('refuses an application Dokploy builds from git (409), touching nothing', async () => {
    const v1 = await deployed('web', 'dok-web', V1);
    const before = dokploy.calls.length;
    const rb = await call(s.url, 'POST', '/api/admin/modules/boats/rollback', { token: admin, body: { deploymentId: v1 } });
    expect(rb.status).toBe(409);
    expect(rb.body).toMatchObject({ error: 'not_rollbackable' });
    expect(rb.body.message).toContain('github source');
    expect(dokploy.calls.slice(before).map((c) => c.path)).toEqual(['/api/application.one']);
  }, 60_000);
});
