/**
 * Previews with the local runner, end to end on the demo: a module's successful deployment makes
 * its services reachable under Slipway's origin at /preview/<slug>/<app>/ (the service itself bound
 * to 127.0.0.1 only, Slipway's credentials never forwarded, its answers sandboxed), the dialog's
 * live link points there, and the preview is torn down when its TTL passes, when the module is
 * deleted, and when Promote merges its branch in the hosted repository.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../test-support/http.ts';
import { eventually } from '../test-support/dokploy-stub.ts';
import { ADMIN, startTestServer, type TestServer } from '../test-support/server.ts';
import { PREVIEW_CSP } from './preview-proxy.routes.ts';
import { listeningAddresses as listeners } from '../runner/listeners.ts';

describe('previews on the local runner (demo)', () => {
  let s: TestServer;
  let token: string;

  beforeAll(async () => {
    s = await startTestServer('sqlite', { SLIPWAY_DEMO: 'true', SLIPWAY_PUBLIC_URL: 'http://slipway.test' });
    token = await s.ctx.auth.createToken(ADMIN.email, 'e2e');
  });

  afterAll(async () => {
    await s?.close();
  });

  async function deploy(name: string, applications: string[]) {
    const slug = name.toLowerCase();
    const created = await call(s.url, 'POST', '/api/admin/modules', { token, body: { name, fields: [{ name: 'title', type: 'string', required: true }], applications } });
    expect(created.status, JSON.stringify(created.body)).toBeLessThan(300);
    const done = await eventually(
      async () => {
        const r = await call(s.url, 'GET', `/api/admin/deployments/${slug}/status`, { token });
        return ['success', 'failed'].includes(r.body?.status) ? r.body : undefined;
      },
      `${slug} deployed`,
      120_000,
    );
    expect(done.status, JSON.stringify(done.logs)).toBe('success');
    // The preview sync is a job queued by the success.
    await eventually(async () => {
      const list = await call(s.url, 'GET', '/api/admin/previews', { token });
      return list.body.data.filter((p: any) => p.module_slug === slug && p.state === 'active').length === applications.length;
    }, `${slug} previews`);
    return done;
  }

  const previewsOf = async (slug: string) =>
    (await call(s.url, 'GET', '/api/admin/previews', { token })).body.data.filter((p: any) => p.module_slug === slug).sort((a: any, b: any) => a.application_id.localeCompare(b.application_id));

  it('serves the services under /preview/<slug>/<app>/, bound to loopback, without Slipway\'s credentials; expires after its TTL', { timeout: 200_000 }, async () => {
    await deploy('Gadgets', ['backend', 'frontend']);
    const previews = await previewsOf('gadgets');
    expect(previews.map((p: any) => [p.application_id, p.kind, p.state, p.url])).toEqual([
      ['backend', 'local', 'active', '/preview/gadgets/backend/'],
      ['frontend', 'local', 'active', '/preview/gadgets/frontend/'],
    ]);
    expect(Date.parse(previews[0].expires_at) - Date.parse(previews[0].deployed_at)).toBe(72 * 3_600_000);

    // The backend's JSON API and the frontend's page, through Slipway's own port.
    const api = await fetch(`${s.url}/preview/gadgets/backend/api/gadgets`, { headers: { cookie: 'slipway_session=secret-session', authorization: `Bearer ${token}` } });
    expect(api.status).toBe(200);
    expect(Array.isArray(await api.json())).toBe(true);
    expect(api.headers.get('content-security-policy')).toBe(PREVIEW_CSP);
    const page = await fetch(`${s.url}/preview/gadgets/frontend/modules/gadgets`);
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/gadgets/i);
    // Without the trailing slash: redirected to the preview's root.
    const bare = await fetch(`${s.url}/preview/gadgets/backend`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([308, '/preview/gadgets/backend/']);
    // A module or application without a preview: 404.
    expect((await fetch(`${s.url}/preview/nothing/backend/`)).status).toBe(404);

    // The service listens on 127.0.0.1 only: no public port.
    const backend = s.ctx.applications.get('backend')!;
    const addr = await s.ctx.runner!.serviceAddress(backend, 'module/gadgets');
    expect(addr?.host).toBe('127.0.0.1');
    expect(listeners(addr!.port)).toEqual(['127.0.0.1']);

    // The dialog's live link (live.url) and each service's link point to the preview.
    const status = await call(s.url, 'GET', '/api/admin/deployments/gadgets/status', { token });
    expect(status.body.live.url).toMatch(/^\/preview\/gadgets\/(backend|frontend)\//);
    expect(status.body.live.services.map((x: any) => x.url)).toEqual(['/preview/gadgets/backend/api/gadgets', '/preview/gadgets/frontend/modules/gadgets']);

    // TTL: 73 hours without a deploy, and the leader's pass tears both down.
    await s.ctx.database.db.updateTable('previews').set({ deployed_at: new Date(Date.now() - 73 * 3_600_000).toISOString() }).where('module_slug', '=', 'gadgets').execute();
    expect(await s.ctx.previews.expire()).toBe(2);
    const gone = await previewsOf('gadgets');
    expect(gone.map((p: any) => [p.state, p.message])).toEqual([
      ['torn_down', 'expired: no deploy for 72 h'],
      ['torn_down', 'expired: no deploy for 72 h'],
    ]);
    expect((await fetch(`${s.url}/preview/gadgets/backend/api/gadgets`)).status).toBe(404);
    // Its service is stopped: nothing listens on its port any more.
    expect(listeners(addr!.port)).toEqual([]);
  });

  it('deleting the module tears its preview down', { timeout: 150_000 }, async () => {
    await deploy('Widgets', ['backend']);
    expect((await fetch(`${s.url}/preview/widgets/backend/api/widgets`)).status).toBe(200);
    const del = await call(s.url, 'DELETE', '/api/admin/modules/widgets', { token });
    expect(del.status).toBeLessThan(300);
    const rows = await s.ctx.previews.ofModule('widgets');
    expect(rows.map((r) => [r.state, r.message])).toEqual([['torn_down', 'module deleted']]);
    expect((await fetch(`${s.url}/preview/widgets/backend/api/widgets`)).status).toBe(404);
  });

  it('Promote on a hosted repository merges after confirmation, and the preview is gone', { timeout: 150_000 }, async () => {
    await deploy('Promos', ['backend']);
    const repo = join(s.dataDir, 'repos', 'backend.git');
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
    const head = git('rev-parse', 'refs/heads/module/promos');
    const before = git('rev-parse', 'refs/heads/main');

    // Without confirm, nothing is merged.
    const ask = await call(s.url, 'POST', '/api/admin/modules/promos/promote', { token, body: {} });
    expect(ask.status).toBe(200);
    expect(ask.body.results).toEqual([{ application_id: 'backend', kind: 'confirm', url: null, number: null, existing: false, commit: null, fast_forward: null }]);
    expect(git('rev-parse', 'refs/heads/main')).toBe(before);

    const done = await call(s.url, 'POST', '/api/admin/modules/promos/promote', { token, body: { confirm: true } });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    const [r] = done.body.results;
    expect(r).toMatchObject({ application_id: 'backend', kind: 'merged' });
    const after = git('rev-parse', 'refs/heads/main');
    expect(after).toBe(r.commit);
    // The module's commit is on main now, whether fast-forwarded or merged.
    expect(() => git('merge-base', '--is-ancestor', head, after)).not.toThrow();
    expect(git('ls-tree', '--name-only', '-r', after)).toMatch(/modules\/promos\.json/);
    // Torn down, and the proxy no longer answers for it.
    expect((await s.ctx.previews.ofModule('promos')).map((x) => [x.state, x.message])).toEqual([['torn_down', 'merged into main']]);
    expect((await fetch(`${s.url}/preview/promos/backend/api/promos`)).status).toBe(404);
  });

  it('a branch merged by a person\'s push to the base branch: the leader\'s pass tears its preview down', { timeout: 150_000 }, async () => {
    await deploy('Merged', ['backend']);
    const repo = join(s.dataDir, 'repos', 'backend.git');
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' }).trim();
    // Not merged yet: the pass leaves it.
    await s.ctx.previews.runOnce();
    expect((await s.ctx.previews.ofModule('merged')).map((x) => x.state)).toEqual(['active']);
    // A fast-forward of main to the module branch, as a person's merge pushed.
    git('update-ref', 'refs/heads/main', git('rev-parse', 'refs/heads/module/merged'));
    await s.ctx.previews.runOnce();
    expect((await s.ctx.previews.ofModule('merged')).map((x) => [x.state, x.message])).toEqual([['torn_down', 'merged into main']]);
  });
});
