/**
 * Issue #12 item 6: Cancel of a deployment whose CI runs outside Slipway. A GitHub Actions run is
 * cancelled through GitHub's API (`POST …/actions/runs/{run_id}/cancel`: 202, or 409 when it had
 * completed) and a Dokploy build through `application.cancelDeployment`; the deployment ends
 * `cancelled` either way, saying what CI answered. GitHub and Dokploy are contract stubs; Slipway is the real server.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DokployStub } from '../test-support/dokploy-stub.ts';
import { GitHubStub } from '../test-support/github-stub.ts';
import { call, sendWebhook } from '../test-support/http.ts';
import { ADMIN, startTestServer, TEST_SECRET, type TestServer } from '../test-support/server.ts';

describe('cancelling a deployment run by GitHub Actions or Dokploy', () => {
  let s: TestServer;
  let dokploy: DokployStub;
  let github: GitHubStub;
  let admin: string;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-ci-cancel-'));
  let run = 7_000;

  beforeAll(async () => {
    dokploy = await DokployStub.start({ apiKey: 'cc-dokploy-key' });
    dokploy.addApplication({ applicationId: 'dok-only', token: 'tok-only' });
    github = await GitHubStub.start({ token: 'cc-gh-token' });
    writeFileSync(
      join(dir, 'apps.json'),
      JSON.stringify({
        applications: [
          { id: 'frontend', github: { repository: 'acme/frontend' } },
          { id: 'shop', dokploy: { apiUrl: dokploy.url, apiKeyEnv: 'CC_DOKPLOY_KEY', applicationId: 'dok-only' } },
        ],
      }),
    );
    s = await startTestServer('sqlite', { SLIPWAY_CONFIG: join(dir, 'apps.json'), CC_DOKPLOY_KEY: 'cc-dokploy-key', GITHUB_TOKEN: 'cc-gh-token', GITHUB_API_URL: github.url });
    admin = await s.ctx.auth.createToken(ADMIN.email, 'cc');
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    await github?.close();
    await dokploy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A CI run reporting `running` for `slug`; its deployment's id. */
  async function running(applicationId: string, slug: string, externalId: string): Promise<string> {
    const r = await sendWebhook(s.url, { deploymentId: externalId, applicationId, branch: `module/${slug}`, commit: `c0ffee${++run}`, moduleName: slug, status: 'running', stage: 'build' }, TEST_SECRET);
    expect(r.body.outcome).toBe('accepted');
    return r.body.deployment_id as string;
  }

  it('cancels the GitHub Actions run of a running target (202), and the deployment ends cancelled', async () => {
    const runId = ++run;
    github.setRun('acme/frontend', runId, { status: 'in_progress', conclusion: null });
    const id = await running('frontend', 'gh-cancel', `gh-${runId}`);

    const r = await call(s.url, 'POST', `/api/admin/deployments/${id}/cancel`, { token: admin });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.status).toBe('cancelled');
    expect(r.body.ci_cancels).toEqual([{ application_id: 'frontend', ci: 'github', outcome: 'cancelled', message: `frontend: GitHub run ${runId} cancelled` }]);
    expect(github.calls).toContainEqual({ method: 'POST', path: `/repos/acme/frontend/actions/runs/${runId}/cancel`, status: 202 });
    expect(github.getRun('acme/frontend', runId)).toEqual({ status: 'completed', conclusion: 'cancelled' });

    // The run's own last report changes nothing: the target is final.
    await sendWebhook(s.url, { deploymentId: `gh-${runId}`, applicationId: 'frontend', branch: 'module/gh-cancel', moduleName: 'gh-cancel', status: 'error', message: 'The operation was canceled.' }, TEST_SECRET);
    const after = await call(s.url, 'GET', `/api/admin/deployments/${id}`, { token: admin });
    expect(after.body.status).toBe('cancelled');
  });

  it('says so when GitHub answers 409 (the run had completed), and still ends the deployment cancelled', async () => {
    const runId = ++run;
    github.setRun('acme/frontend', runId, { status: 'completed', conclusion: 'success' });
    const id = await running('frontend', 'gh-late', `gh-${runId}`);

    const r = await call(s.url, 'POST', `/api/admin/deployments/${id}/cancel`, { token: admin });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('cancelled');
    expect(github.calls).toContainEqual({ method: 'POST', path: `/repos/acme/frontend/actions/runs/${runId}/cancel`, status: 409 });
    const said = `frontend: GitHub run ${runId} had already completed (GitHub answered 409), so it was not stopped; its result is ignored`;
    expect(r.body.ci_cancels).toEqual([{ application_id: 'frontend', ci: 'github', outcome: 'completed', message: said }]);
    // The reason names it, in the deployment's message and the target's.
    expect(r.body.message).toContain(said);
    expect(r.body.targets[0]).toMatchObject({ status: 'cancelled', message: expect.stringContaining('answered 409') });
  });

  it("asks Dokploy to cancel a Dokploy-built target's deployment (application.cancelDeployment)", async () => {
    const id = await running('shop', 'dok-cancel', 'dokploy-build-1');
    const before = dokploy.count('application.cancelDeployment');

    const r = await call(s.url, 'POST', `/api/admin/deployments/${id}/cancel`, { token: admin });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('cancelled');
    expect(dokploy.count('application.cancelDeployment')).toBe(before + 1);
    const c = dokploy.calls.at(-1)!;
    expect([c.method, c.path, JSON.parse(c.body), c.headers['x-api-key']]).toEqual(['POST', '/api/application.cancelDeployment', { applicationId: 'dok-only' }, 'cc-dokploy-key']);
    expect(r.body.ci_cancels).toEqual([{ application_id: 'shop', ci: 'dokploy', outcome: 'cancelled', message: 'shop: Dokploy application dok-only: Deployment cancellation requested' }]);
  });

  it('a finished deployment cannot be cancelled, and asks nothing of GitHub', async () => {
    const runId = ++run;
    github.setRun('acme/frontend', runId, { status: 'in_progress', conclusion: null });
    const id = await running('frontend', 'gh-done', `gh-${runId}`);
    await sendWebhook(s.url, { deploymentId: `gh-${runId}`, applicationId: 'frontend', branch: 'module/gh-done', moduleName: 'gh-done', status: 'done' }, TEST_SECRET);
    const r = await call(s.url, 'POST', `/api/admin/deployments/${id}/cancel`, { token: admin });
    expect(r.status).toBe(409);
    // (Deployment statuses for the git host may still reach the stub: those are not a cancel.)
    expect(github.calls.filter((c) => c.path.includes(`/actions/runs/${runId}`))).toEqual([]);
  });
});
