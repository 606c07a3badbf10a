import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBareRepo } from '../git/index.ts';
import { ADMIN, DIALECTS, startTestServer, TEST_SECRET, type TestServer } from '../test-support/server.ts';
import { call, sendWebhook } from '../test-support/http.ts';
import type { DeploymentChange } from '../deployments/broadcaster.ts';

const git = (repo: string, ...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();

const products = {
  name: 'Products',
  description: 'What we sell',
  fields: [
    { name: 'title', type: 'string', required: true },
    { name: 'price', type: 'decimal', required: true },
    { name: 'status', type: 'enum', options: ['draft', 'live'], default: 'draft' },
  ],
  applications: ['backend', 'frontend'],
};

describe.each(DIALECTS)('modules API on %s', (dialect) => {
  let s: TestServer;
  let admin: string;
  let member: string;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-modules-'));
  const repos = join(dir, 'remotes');
  const changes: DeploymentChange[] = [];

  beforeAll(async () => {
    for (const app of ['backend', 'frontend', 'locked']) {
      await ensureBareRepo(repos, app, { initialFiles: [{ path: 'README.md', content: `# ${app}\n` }, { path: 'src/main.ts', content: 'export {};\n' }] });
    }
    // A repository whose server refuses every push, as a protected branch would.
    writeFileSync(join(repos, 'locked.git', 'hooks', 'pre-receive'), '#!/bin/sh\necho "pushes are frozen" >&2\nexit 1\n', { mode: 0o755 });
    writeFileSync(
      join(dir, 'apps.yaml'),
      `applications:\n  - id: backend\n    repoUrl: ${join(repos, 'backend.git')}\n  - id: frontend\n    repoUrl: ${join(repos, 'frontend.git')}\n  - id: gone\n    repoUrl: ${join(repos, 'missing.git')}\n  - id: locked\n    repoUrl: ${join(repos, 'locked.git')}\n`,
    );
    // These tests read what was pushed from the answer: create/update wait for the publish (publish-live.test.ts covers the default, answering at once).
    s = await startTestServer(dialect, { SLIPWAY_CONFIG: join(dir, 'apps.yaml'), SLIPWAY_PUBLISH_WAIT_MS: '60000' });
    s.ctx.broadcaster.add({ publish: (c) => void changes.push(c) });
    await s.ctx.auth.addUser('member@example.com', 'member-password', 'member');
    admin = await s.ctx.auth.createToken(ADMIN.email, 't');
    member = await s.ctx.auth.createToken('member@example.com', 't');
  });
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the configured applications with their template pack', async () => {
    const r = await call(s.url, 'GET', '/api/admin/applications', { token: member });
    expect(r.body.data.map((a: any) => [a.id, a.template_pack])).toEqual([
      ['backend', 'typescript-api'],
      ['frontend', 'angular'],
      ['gone', 'typescript-api'],
      ['locked', 'typescript-api'],
    ]);
  });

  it('previews every file per application without writing anything', async () => {
    const before = git(join(repos, 'backend.git'), 'for-each-ref');
    const r = await call(s.url, 'POST', '/api/admin/modules/preview', { token: member, body: products });
    expect(r.status).toBe(200);
    expect(r.body.files.map((f: any) => f.application)).toEqual(['backend', 'frontend']);
    expect(r.body.files[0].files.map((f: any) => f.path)).toContain('src/modules/products/products.routes.ts');
    expect(git(join(repos, 'backend.git'), 'for-each-ref')).toBe(before);
    expect((await call(s.url, 'GET', '/api/admin/modules', { token: member })).body.data).toEqual([]);
  });

  it('names each bad field', async () => {
    const r = await call(s.url, 'POST', '/api/admin/modules', {
      token: member,
      body: { ...products, fields: [{ name: 'Title', type: 'string' }, { name: 'kind', type: 'enum' }], applications: ['backend', 'nowhere'] },
    });
    expect(r.status).toBe(422);
    expect(r.body.details.map((d: any) => d.field).sort()).toEqual(['fields.0.name', 'fields.1.options']);
    const apps = await call(s.url, 'POST', '/api/admin/modules', { token: member, body: { ...products, applications: ['backend', 'nowhere'] } });
    expect(apps.body.details).toEqual([{ field: 'applications.1', message: expect.stringContaining("unknown application 'nowhere'") }]);
  });

  it('creates a module: pushes module/<slug> to each target and answers the GenerateModuleResponse', async () => {
    const r = await call(s.url, 'POST', '/api/admin/modules', { token: member, body: products });
    expect(r.status).toBe(201);
    expect(r.body.module).toMatchObject({ slug: 'products', git: { branchName: 'module/products', baseBranch: 'main' } });
    expect(r.body.branches.map((b: any) => [b.application, b.branch])).toEqual([
      ['backend', 'module/products'],
      ['frontend', 'module/products'],
    ]);
    expect(r.body.deployment).toMatchObject({ module_slug: 'products', branch_name: 'module/products', status: 'pending', progress: 0 });
    expect(r.body.deployment.targets.map((t: any) => [t.application_id, t.status])).toEqual([
      ['backend', 'pending'],
      ['frontend', 'pending'],
    ]);
    const backend = join(repos, 'backend.git');
    const commit = r.body.branches[0].commit;
    expect(git(backend, 'rev-parse', 'module/products')).toBe(commit);
    const tree = git(backend, 'ls-tree', '-r', '--name-only', commit).split('\n');
    const generated = r.body.files[0].files.map((f: any) => f.path);
    // With the generation manifest beside the files (docs/modules.md).
    expect(tree.sort()).toEqual(['README.md', 'src/main.ts', '.slipway/modules/products.json', ...generated].sort());
    expect(git(backend, 'rev-parse', `${commit}^`)).toBe(git(backend, 'rev-parse', 'main'));
    expect(git(backend, 'log', '--format=%s', 'main')).toBe('Initial commit');
    expect(changes.find((c) => c.payload.module_slug === 'products' && c.sequence === 1)?.payload.status).toBe('pending');
  });

  it("follows CI's reports on the published commit to the same deployment", async () => {
    const st = await call(s.url, 'GET', '/api/admin/deployments/products/status', { token: member });
    const backendCommit = st.body.targets[0].commit_sha;
    const ci = await sendWebhook(s.url, { deploymentId: 'gh-77', applicationId: 'backend', branch: 'module/products', commit: backendCommit, status: 'running' }, TEST_SECRET);
    expect(ci.body).toMatchObject({ outcome: 'accepted', deployment_id: st.body.deployment_id });
    const list = await call(s.url, 'GET', '/api/admin/modules', { token: member });
    expect(list.body.data[0].latest_deployment).toMatchObject({ deployment_id: st.body.deployment_id, status: 'pending' });
    expect(list.body.data[0].latest_deployment.targets[0].status).toBe('building');
  });

  it('updates a module with one more commit on its branch, and refuses a taken slug', async () => {
    const backend = join(repos, 'backend.git');
    const before = git(backend, 'rev-parse', 'module/products');
    const upd = await call(s.url, 'PUT', '/api/admin/modules/products', { token: member, body: { ...products, fields: [...products.fields, { name: 'sku', type: 'string', unique: true }] } });
    expect(upd.status).toBe(200);
    const after = git(backend, 'rev-parse', 'module/products');
    expect(after).not.toBe(before);
    expect(git(backend, 'rev-parse', `${after}^`)).toBe(before);
    // A new commit starts a new deployment.
    expect(upd.body.deployment).toMatchObject({ status: 'pending', commit_sha: after });
    expect(upd.body.deployment.targets[0].commit_sha).toBe(after);
    const dup = await call(s.url, 'POST', '/api/admin/modules', { token: member, body: products });
    expect(dup).toMatchObject({ status: 409, body: { error: 'slug_taken' } });
  });

  it('an update that changes no file deploys nothing: its deployment ends cancelled instead of waiting for CI', async () => {
    const backend = join(repos, 'backend.git');
    const before = git(backend, 'rev-parse', 'module/products');
    const current = (await call(s.url, 'GET', '/api/admin/modules/products', { token: member })).body;
    const upd = await call(s.url, 'PUT', '/api/admin/modules/products', { token: member, body: { name: current.name, description: current.description, fields: current.fields, applications: current.applications } });
    expect(upd.status).toBe(200);
    expect(git(backend, 'rev-parse', 'module/products')).toBe(before);
    expect(upd.body.deployment).toMatchObject({ status: 'cancelled', progress: 100 });
    expect(upd.body.deployment.message).toContain('nothing to deploy');
  });

  it('keeps modules private to their owner; admins see all', async () => {
    const stranger = await s.ctx.auth.addUser('other@example.com', 'other-password', 'member').then(() => s.ctx.auth.createToken('other@example.com', 't'));
    expect((await call(s.url, 'GET', '/api/admin/modules/products', { token: stranger })).status).toBe(404);
    expect((await call(s.url, 'GET', '/api/admin/modules', { token: stranger })).body.data).toEqual([]);
    expect((await call(s.url, 'GET', '/api/admin/modules/products', { token: admin })).body.slug).toBe('products');
  });

  it('refuses a module whose target repository cannot be read, and stores nothing', async () => {
    const r = await call(s.url, 'POST', '/api/admin/modules', { token: member, body: { ...products, name: 'Refunds', applications: ['gone'] } });
    expect(r).toMatchObject({ status: 502, body: { error: 'repo_not_found', message: expect.stringContaining("gone's repository") } });
    expect((await call(s.url, 'GET', '/api/admin/modules/refunds', { token: member })).status).toBe(404);
  });

  it('reports a publish failure with its git error code, and keeps the module', async () => {
    const r = await call(s.url, 'POST', '/api/admin/modules', { token: member, body: { ...products, name: 'Orders', applications: ['locked'] } });
    expect(r.status).toBe(502);
    expect(r.body).toMatchObject({ error: 'push_rejected', message: expect.stringContaining('publishing failed') });
    expect(r.body.message).toContain('pushes are frozen');
    expect((await call(s.url, 'GET', '/api/admin/modules/orders', { token: member })).status).toBe(200);
    // Its deployment, created before the push, says so at once (not pending until the watchdog).
    const st = await call(s.url, 'GET', '/api/admin/deployments/orders/status', { token: member });
    expect(st.body).toMatchObject({ status: 'failed', message: expect.stringContaining('pushes are frozen') });
  });

  it('deletes a module', async () => {
    expect((await call(s.url, 'DELETE', '/api/admin/modules/orders', { token: member })).status).toBe(204);
    expect((await call(s.url, 'GET', '/api/admin/modules/orders', { token: member })).status).toBe(404);
  });
});
