import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DokployStub, eventually } from '../test-support/dokploy-stub.ts';
import { GitHubStub } from '../test-support/github-stub.ts';
import { sendWebhook } from '../test-support/http.ts';
import { createPgDatabase, DIALECTS, startTestServer, TEST_SECRET, type DialectName, type TestServer } from '../test-support/server.ts';
import type { DeploymentChange } from './broadcaster.ts';
import { humanDuration, type WatchdogAction } from './watchdog.ts';

let run = 90_000;

/** Dokploy and GitHub are contract stubs; Slipway is the real server. */
async function fixtures() {
  const dokploy = await DokployStub.start({ apiKey: 'wd-dokploy-key' });
  dokploy.addApplication({ applicationId: 'dok-backend', token: 'tok-backend' });
  const github = await GitHubStub.start({ token: 'wd-gh-token' });
  const dir = mkdtempSync(join(tmpdir(), 'slipway-watchdog-'));
  writeFileSync(
    join(dir, 'apps.json'),
    JSON.stringify({
      applications: [
        { id: 'backend', github: { repository: 'acme/backend' }, dokploy: { apiUrl: dokploy.url, apiKeyEnv: 'WD_DOKPLOY_KEY', applicationId: 'dok-backend' } },
        { id: 'frontend', github: { repository: 'acme/frontend' } },
        { id: 'plain' },
      ],
    }),
  );
  const env = {
    SLIPWAY_CONFIG: join(dir, 'apps.json'),
    WD_DOKPLOY_KEY: 'wd-dokploy-key',
    GITHUB_TOKEN: 'wd-gh-token',
    GITHUB_API_URL: github.url,
    DEPLOYMENT_STALE_AFTER_SECONDS: '0.3',
    WATCHDOG_INTERVAL_SECONDS: '3600',
    DOKPLOY_POLL_INTERVAL_SECONDS: '0.05',
  };
  return {
    dokploy,
    github,
    env,
    async close() {
      await dokploy.close();
      await github.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function ci(s: TestServer, applicationId: string, slug: string) {
  const runId = ++run;
  const base = { deploymentId: `gh-${runId}`, applicationId, branch: `module/${slug}`, commit: `feed${runId}`, moduleName: slug };
  const send = async (status: string, extra: Record<string, unknown> = {}) => {
    const r = await sendWebhook(s.url, { ...base, status, ...extra }, TEST_SECRET);
    expect(r.body.outcome).toBe('accepted');
    return r.body.deployment_id as string;
  };
  return { runId, send };
}

const target = (s: TestServer, deploymentId: string, applicationId: string) =>
  s.ctx.database.db.selectFrom('deployment_targets').selectAll().where('deployment_id', '=', Number(deploymentId)).where('application_id', '=', applicationId).executeTakeFirstOrThrow();

/** Runs watchdog passes until one acts on that deployment (it must first go stale). */
const actionOn = (s: TestServer, deploymentId: string) =>
  eventually(async () => (await s.ctx.watchdog.runOnce()).find((a: WatchdogAction) => String(a.deploymentId) === deploymentId), `the watchdog to act on ${deploymentId}`);

const finished = (s: TestServer, deploymentId: string, applicationId: string) =>
  eventually(async () => {
    const t = await target(s, deploymentId, applicationId);
    return ['success', 'failed', 'cancelled'].includes(t.status) && t;
  }, `target ${applicationId} of ${deploymentId} to finish`);

describe.each(DIALECTS)('watchdog on %s', (dialect: DialectName) => {
  let s: TestServer;
  let fx: Awaited<ReturnType<typeof fixtures>>;
  const changes: DeploymentChange[] = [];

  beforeAll(async () => {
    fx = await fixtures();
    s = await startTestServer(dialect, fx.env);
    s.ctx.broadcaster.add({ publish: (c) => void changes.push(c) });
  });
  afterAll(async () => {
    await s?.close();
    await fx?.close();
  });

  it('fails a deployment with no news, with the reason, through the event stream', async () => {
    const id = await ci(s, 'plain', 'silent').send('running', { message: 'Building...' });
    const a = await actionOn(s, id);
    expect(a).toMatchObject({ action: 'failed', message: expect.stringMatching(/^No news from CI for \d+ seconds?: marked failed by the watchdog$/) });
    expect(await target(s, id, 'plain')).toMatchObject({ status: 'failed', progress: 100, message: a.message });
    const last = changes.filter((c) => c.deploymentId === id).at(-1)!;
    expect(last).toMatchObject({ sequence: 2, payload: { status: 'failed', message: a.message } });
    expect(last.payload.logs.at(-1)).toBe(a.message);
  });

  it('reconciles with GitHub Actions: a failed run fails, a succeeded run succeeds (no Dokploy API), a running one waits', async () => {
    const failing = ci(s, 'frontend', 'gh-failing');
    const failedId = await failing.send('running');
    fx.github.setRun('acme/frontend', failing.runId, { status: 'completed', conclusion: 'failure' });
    expect(await actionOn(s, failedId)).toMatchObject({ action: 'failed', message: `GitHub Actions run ${failing.runId} concluded 'failure' (reconciled by the watchdog)` });

    const passing = ci(s, 'frontend', 'gh-passing');
    const passedId = await passing.send('running');
    fx.github.setRun('acme/frontend', passing.runId, { status: 'completed', conclusion: 'success' });
    expect(await actionOn(s, passedId)).toMatchObject({ action: 'succeeded' });
    expect((await target(s, passedId, 'frontend')).status).toBe('success');

    const busy = ci(s, 'frontend', 'gh-busy');
    const busyId = await busy.send('running');
    fx.github.setRun('acme/frontend', busy.runId, { status: 'in_progress', conclusion: null });
    expect(await actionOn(s, busyId)).toMatchObject({ action: 'alive', message: `GitHub Actions run ${busy.runId} is still in_progress` });
    expect((await target(s, busyId, 'frontend')).status).toBe('building');
    fx.github.setRun('acme/frontend', busy.runId, { status: 'completed', conclusion: 'cancelled' });
    expect(await actionOn(s, busyId)).toMatchObject({ action: 'failed', message: expect.stringContaining("concluded 'cancelled'") });
  });

  it('a GitHub answer that says nothing (unknown run) ends in the plain reason, with GitHub’s answer noted', async () => {
    const unknown = ci(s, 'frontend', 'gh-unknown');
    const id = await unknown.send('running');
    const a = await actionOn(s, id);
    expect(a).toMatchObject({ action: 'failed', message: expect.stringMatching(new RegExp(`^No news from CI for .*GitHub API answered HTTP 404 for run ${unknown.runId} of acme/frontend`)) });
    expect(a.message).not.toContain('wd-gh-token');
  });

  it('a succeeded GitHub run of a Dokploy-confirmed app is handed to Dokploy, which decides', async () => {
    const c = ci(s, 'backend', 'handover');
    const id = await c.send('running');
    fx.github.setRun('acme/backend', c.runId, { status: 'completed', conclusion: 'success' });
    const dep = fx.dokploy.addDeployment('dok-backend', { logs: ['deployed from the watchdog test'] });
    fx.dokploy.finish(dep.deploymentId, 'done');
    expect(await actionOn(s, id)).toMatchObject({ action: 'handed_over' });
    expect(await finished(s, id, 'backend')).toMatchObject({ status: 'success', message: `Dokploy deployment ${dep.deploymentId} done` });
  });

  it('a target CI took to the deploy stage, then went silent, is reconciled against Dokploy (error → failed with its log tail)', async () => {
    const c = ci(s, 'backend', 'deploy-stage');
    // Unknown to GitHub: the watchdog falls back to Dokploy, since CI reached the deploy stage.
    const id = await c.send('running', { stage: 'deploy' });
    expect((await target(s, id, 'backend')).status).toBe('deploying');
    const dep = fx.dokploy.addDeployment('dok-backend', { logs: ['Error: port 3000 already in use'] });
    fx.dokploy.finish(dep.deploymentId, 'error');
    expect(await actionOn(s, id)).toMatchObject({ action: 'handed_over' });
    expect(await finished(s, id, 'backend')).toMatchObject({ status: 'failed', message: `Dokploy deployment ${dep.deploymentId} failed` });
    expect(changes.filter((c) => c.deploymentId === id).at(-1)!.payload.logs).toContain('Error: port 3000 already in use');
  });

  it('says durations plainly', () => {
    expect(humanDuration(1_800_000)).toBe('30 minutes');
    expect(humanDuration(45_000)).toBe('45 seconds');
    expect(humanDuration(3 * 3_600_000)).toBe('3 hours');
  });
});

describe.each(DIALECTS)('nothing stays stuck across a restart, on %s', (dialect: DialectName) => {
  let fx: Awaited<ReturnType<typeof fixtures>>;
  let dir: string;
  let pg: Awaited<ReturnType<typeof createPgDatabase>> | undefined;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    fx = await fixtures();
    dir = mkdtempSync(join(tmpdir(), 'slipway-restart-'));
    pg = dialect === 'postgres' ? await createPgDatabase() : undefined;
  });
  afterAll(async () => {
    for (const x of servers) await x.close().catch(() => undefined);
    await pg?.drop();
    await fx?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a confirmation and a silent deployment left by a stopped server are both finished by the next one', async () => {
    const DATABASE_URL = pg ? pg.url : `sqlite:${join(dir, 'slipway.db')}`;
    // First server: CI says done while Dokploy is still running; another deployment goes silent.
    const a = await startTestServer('sqlite', { ...fx.env, DATABASE_URL, DEPLOYMENT_STALE_AFTER_SECONDS: '3600' });
    servers.push(a);
    const confirmed = ci(a, 'backend', 'restart-confirm');
    await confirmed.send('running');
    const dep = fx.dokploy.addDeployment('dok-backend', { logs: ['slow start'] });
    const confirmedId = await confirmed.send('done');
    const silentId = await ci(a, 'plain', 'restart-silent').send('running');
    const polls = fx.dokploy.count('deployment.all');
    await eventually(async () => fx.dokploy.count('deployment.all') > polls, 'the confirmation to poll Dokploy once');
    await a.close();
    servers.pop();

    // While Slipway is down, Dokploy finishes. The next server resumes the confirmation from its
    // durable job and its watchdog (at start, then every interval) fails the silent deployment.
    fx.dokploy.finish(dep.deploymentId, 'done');
    const b = await startTestServer('sqlite', { ...fx.env, DATABASE_URL, WATCHDOG_INTERVAL_SECONDS: '0.2' });
    servers.push(b);
    expect(await finished(b, confirmedId, 'backend')).toMatchObject({ status: 'success', message: `Dokploy deployment ${dep.deploymentId} done` });
    expect(await finished(b, silentId, 'plain')).toMatchObject({ status: 'failed', message: expect.stringMatching(/^No news from CI for/) });
    const open = await b.ctx.database.db.selectFrom('deployments').select('id').where('status', 'in', ['pending', 'building', 'deploying']).execute();
    expect(open).toEqual([]);
  });
});
