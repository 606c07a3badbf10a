/**
 * Issue 12, item 3: creating a module answers as soon as the module and its pending deployment are
 * stored (SLIPWAY_PUBLISH_WAIT_MS=0, the default), not after the pushes; the publish is then
 * followed live through that deployment: its first events are the publish steps per application,
 * before CI's stages, and a publish failure is reported through it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentChange } from '../deployments/broadcaster.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { eventually } from '../test-support/dokploy-stub.ts';
import { call } from '../test-support/http.ts';
import { DIALECTS, startTestServer, type TestServer } from '../test-support/server.ts';
import { modulesWithPublisher } from '../test-support/modules.ts';
import type { BranchPublisher } from './branch-publisher.ts';
import { GitBranchPublisher } from './git-branch-publisher.ts';

const mod = (name: string) => ({ name, fields: [{ name: 'title', type: 'string', required: true }], applications: ['backend', 'frontend'] });

describe.each(DIALECTS)('create answers before publishing, on %s', (dialect) => {
  let s: TestServer;
  let jobs: JobQueue;
  let alice: string;
  const changes: DeploymentChange[] = [];
  /** Pushes wait for this gate; `refuse` makes them fail as git would for a refused credential. */
  let open!: () => void;
  let gate = new Promise<void>((r) => (open = r));
  let refuse = false;
  let publishCalls = 0;

  beforeAll(async () => {
    s = await startTestServer(dialect, { SLIPWAY_DEMO: 'true' });
    s.ctx.broadcaster.add({ publish: (c) => void changes.push(c) });
    // The server's own publish worker steps aside: this one's publisher is held at a gate.
    await s.ctx.jobs.stop();
    const real = new GitBranchPublisher({ dataDir: s.dataDir, env: {} });
    const publisher: BranchPublisher = {
      deleteBranch: (app, branch) => real.deleteBranch(app, branch),
      async publish(app, req) {
        publishCalls++;
        await gate;
        if (refuse) throw Object.assign(new Error('Authentication failed'), { code: 'auth_failed' });
        return real.publish(app, req);
      },
    };
    jobs = modulesWithPublisher(s, publisher);
    await s.ctx.auth.addUser('alice@example.com', 'alice-password', 'member');
    alice = await s.ctx.auth.createToken('alice@example.com', 't');
  });

  afterAll(async () => {
    open?.();
    await jobs?.stop();
    await s?.close();
  });

  const of = (slug: string) => changes.filter((c) => c.payload.module_slug === slug).sort((a, b) => a.sequence - b.sequence);

  it('answers 202 with the pending deployment before any push; the deployment then reaches success, publish steps first', { timeout: 180_000 }, async () => {
    const r = await call(s.url, 'POST', '/api/admin/modules', { token: alice, body: mod('Parcels') });
    expect(r.status).toBe(202);
    expect(r.body.branches).toEqual([]);
    expect(r.body.deployment).toMatchObject({ module_slug: 'parcels', branch_name: 'module/parcels', status: 'pending' });
    expect(r.body.deployment.targets.map((t: any) => [t.application_id, t.status, t.commit_sha])).toEqual([
      ['backend', 'pending', null],
      ['frontend', 'pending', null],
    ]);
    // Rendering is the job's (a repository's pack renders sandboxed, ~1 s per application): the preview shows files.
    expect(r.body.files).toEqual([]);
    // The publish is held at its first push: the answer came before it.
    await eventually(async () => publishCalls === 1, 'the publish reached its first push');
    const id = r.body.deployment.deployment_id;
    expect(of('parcels').map((c) => [c.deploymentId, c.payload.status, c.payload.message])).toEqual([
      [id, 'pending', 'Publishing module/parcels to backend, frontend'],
      [id, 'pending', 'Rendering parcels for backend (demo-api), frontend (demo-web)'],
      [id, 'pending', expect.stringMatching(/^Rendered \d+ files? \(.+\); pushing module\/parcels to backend$/)],
    ]);

    open();
    const done = await eventually(async () => of('parcels').find((c) => ['success', 'failed', 'cancelled'].includes(c.payload.status)), 'parcels finished', 150_000);
    expect(done.payload.status).toBe('success');
    // Publishing per application, then CI's stages: an application builds only after its push.
    const messages = of('parcels').map((c) => c.payload.message ?? '');
    expect(messages.slice(0, 4)).toEqual([
      'Publishing module/parcels to backend, frontend',
      'Rendering parcels for backend (demo-api), frontend (demo-web)',
      expect.stringMatching(/pushing module\/parcels to backend$/),
      expect.stringMatching(/^Pushed module\/parcels to backend at [0-9a-f]{7}$/),
    ]);
    expect(of('parcels').findIndex((c) => c.payload.status !== 'pending')).toBeGreaterThanOrEqual(4);
    const pushingFrontend = messages.findIndex((m) => /pushing module\/parcels to frontend$/.test(m));
    const pushedFrontend = messages.findIndex((m) => /^Pushed module\/parcels to frontend at /.test(m));
    expect(pushingFrontend).toBeGreaterThan(3);
    expect(pushedFrontend).toBeGreaterThan(pushingFrontend);
  });

  it('a publish that fails after the answer is reported through the deployment, and the module is kept', { timeout: 60_000 }, async () => {
    refuse = true;
    const r = await call(s.url, 'POST', '/api/admin/modules', { token: alice, body: mod('Crates') });
    expect(r.status).toBe(202);
    expect(r.body.deployment.status).toBe('pending');
    const failed = await eventually(async () => of('crates').find((c) => c.payload.status === 'failed'), 'crates failed');
    expect(failed.payload.message).toContain('Publishing module/crates failed: backend: Authentication failed');
    const st = await call(s.url, 'GET', '/api/admin/deployments/crates/status', { token: alice });
    expect(st.body.status).toBe('failed');
    expect((await call(s.url, 'GET', '/api/admin/modules/crates', { token: alice })).status).toBe(200);
  });
});
