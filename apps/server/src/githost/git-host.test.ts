/**
 * Feedback to GitHub and Dokploy previews, against the contract stubs (test-support/github-stub.ts,
 * test-support/dokploy-stub.ts): a module deployed by CI (signed reports) gets a GitHub deployment
 * of its commit to `preview-<slug>` with in_progress then success statuses (the preview as
 * environment_url, the dialog as log_url) and a `slipway` commit status; its Dokploy preview is
 * created (application, image, domain, deploy), renewed by the next deploy, and deleted by "Tear
 * down"; Promote opens a pull request with the preview link, and answers the open one the second time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBareRepo } from '../git/index.ts';
import { git } from '../git/test-helpers.ts';
import { DokployStub, eventually } from '../test-support/dokploy-stub.ts';
import { GitHubStub } from '../test-support/github-stub.ts';
import { call, sendWebhook } from '../test-support/http.ts';
import { ADMIN, DIALECTS, startTestServer, type TestServer } from '../test-support/server.ts';

describe.each(DIALECTS)('git host feedback and Dokploy previews (stubs), %s', (dialect) => {
  let s: TestServer;
  let github: GitHubStub;
  let dokploy: DokployStub;
  let token: string;
  let member: string;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-githost-'));
  const repos = join(dir, 'remotes');

  beforeAll(async () => {
    github = await GitHubStub.start({ token: 'ghp_stubtoken0123456789' });
    dokploy = await DokployStub.start({ apiKey: 'dokploy-key' });
    await ensureBareRepo(repos, 'shop', { initialFiles: [{ path: 'README.md', content: '# shop\n' }] });
    writeFileSync(
      join(dir, 'apps.yaml'),
      [
        'applications:',
        '  - id: shop',
        `    repoUrl: ${join(repos, 'shop.git')}`,
        '    github: { repository: acme/shop }',
        '    dokploy:',
        `      apiUrl: ${dokploy.url}`,
        '      apiKeyEnv: DOKPLOY_API_KEY',
        '      previews: true',
        '      environmentId: env-1',
        '      image: ghcr.io/acme/shop',
        "      previewDomain: '{slug}.preview.example.com'",
        '      previewPort: 8080',
        '',
      ].join('\n'),
    );
    s = await startTestServer(dialect, {
      SLIPWAY_CONFIG: join(dir, 'apps.yaml'),
      SLIPWAY_PUBLISH_WAIT_MS: '60000',
      SLIPWAY_PUBLIC_URL: 'https://slipway.example.com',
      GITHUB_TOKEN: github.token,
      GITHUB_API_URL: github.url,
      DOKPLOY_API_KEY: 'dokploy-key',
    });
    token = await s.ctx.auth.createToken(ADMIN.email, 't');
    await s.ctx.auth.addUser('member@example.com', 'member-password', 'member');
    member = await s.ctx.auth.createToken('member@example.com', 't');
  });

  afterAll(async () => {
    await s?.close();
    await github?.close();
    await dokploy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Answers seen, checked at the end against the OpenAPI document's schema for their status. */
  const answers: { method: string; path: string; status: number; body: unknown }[] = [];
  const api = async (method: string, path: string, template: string, opts: { token: string; body?: unknown }) => {
    const r = await call(s.url, method, path, opts);
    answers.push({ method, path: template, status: r.status, body: r.body });
    return r;
  };

  const report = (deploymentId: string, status: string, commit: string, extra: object = {}) =>
    sendWebhook(s.url, { deploymentId, applicationId: 'shop', status, branch: 'module/cart', commit, moduleName: 'cart', ...extra }, s.secret);

  it('tells GitHub about the deployment, creates the Dokploy preview, renews it, and tears it down', { timeout: 60_000 }, async () => {
    const created = await call(s.url, 'POST', '/api/admin/modules', { token, body: { name: 'Cart', fields: [{ name: 'title', type: 'string' }], applications: ['shop'] } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const deploymentId = Number(created.body.deployment.deployment_id);
    const sha = git(join(repos, 'shop.git'), ['rev-parse', 'refs/heads/module/cart']);

    expect((await report('gh-1', 'running', sha)).status).toBe(200);
    const ghDeployment = await eventually(async () => github.deployments.find((d) => d.statuses.some((x) => x.state === 'in_progress')), 'in_progress on GitHub');
    expect(ghDeployment).toMatchObject({ repository: 'acme/shop', ref: sha, environment: 'preview-cart', auto_merge: false, required_contexts: [], transient_environment: true });
    const dialog = `https://slipway.example.com/modules?deployment=${deploymentId}`;
    // (`queued` first when the job ran while the publish's deployment was still pending.)
    expect(ghDeployment.statuses.find((x) => x.state === 'in_progress')).toMatchObject({ log_url: dialog, environment_url: '' });

    // `success` directly (Slipway's own word): no Dokploy confirmation to wait for.
    expect((await report('gh-1', 'success', sha)).status).toBe(200);
    // Success is sent at once; once the preview is ready, again with its URL as environment_url.
    await eventually(async () => ghDeployment.statuses.some((x) => x.state === 'success' && x.environment_url), 'success with the preview on GitHub');
    expect(ghDeployment.statuses.at(-1)).toMatchObject({ state: 'success', log_url: dialog, environment_url: 'http://cart.preview.example.com/' });
    expect(ghDeployment.statuses.map((x) => x.state).filter((x) => x !== 'queued')).toEqual(['in_progress', 'success', 'success']);
    // One GitHub deployment for the target, whatever the number of changes.
    expect(github.deployments).toHaveLength(1);
    const statuses = github.commitStatuses.filter((c) => c.sha === sha);
    expect(statuses.map((c) => [c.state, c.context, c.target_url]).filter((c, i, all) => c[0] !== all[i + 1]?.[0])).toEqual([
      ['pending', 'slipway', dialog],
      ['success', 'slipway', dialog],
    ]);
    // The token went in the Authorization header only: the stub refuses anything else (401), and no call failed.
    expect(github.calls.filter((c) => c.status === 401)).toEqual([]);

    // The Dokploy preview: an application of its own, running the module's image on its domain.
    await eventually(async () => dokploy.count('deploy') > 0, 'the preview deployed');
    expect(dokploy.calls.filter((c) => c.path !== '/api/deployment.all').map((c) => [c.path, c.status])).toEqual([
      ['/api/application.create', 200],
      ['/api/application.saveDockerProvider', 200],
      ['/api/domain.create', 200],
      ['/api/application.deploy', 200],
    ]);
    expect(JSON.parse(dokploy.calls[0]!.body)).toMatchObject({ environmentId: 'env-1', appName: 'shop-cart' });
    const previews = await api('GET', '/api/admin/previews', '/api/admin/previews', { token });
    const [preview] = previews.body.data;
    expect(preview).toMatchObject({ module_slug: 'cart', application_id: 'shop', kind: 'dokploy', state: 'active', url: 'http://cart.preview.example.com/' });
    const app = dokploy.application((await s.ctx.previews.ofModule('cart'))[0]!.external_id!)!;
    expect(app).toMatchObject({ source: 'docker', dockerImage: 'ghcr.io/acme/shop:module-cart', environmentId: 'env-1' });
    expect(dokploy.domains).toEqual([expect.objectContaining({ applicationId: app.applicationId, host: 'cart.preview.example.com', port: 8080, https: false })]);
    // A member sees only their own modules' previews.
    expect((await call(s.url, 'GET', '/api/admin/previews', { token: member })).body.data).toEqual([]);

    // The next deploy renews it: the same application, deployed again, nothing created.
    const sha2 = sha; // CI re-deploys the branch head (a new run).
    expect((await report('gh-2', 'success', sha2)).status).toBe(200);
    await eventually(async () => dokploy.count('deploy') === 2, 'the preview renewed');
    expect(dokploy.count('application.create')).toBe(1);
    // The row is renewed after Dokploy's deploy answered: read it once it is.
    const renewed = await eventually(async () => {
      const r = (await call(s.url, 'GET', '/api/admin/previews', { token })).body.data[0];
      return r.deployment_id !== preview.deployment_id && r;
    }, 'the preview row renewed');
    expect(Date.parse(renewed.deployed_at)).toBeGreaterThanOrEqual(Date.parse(preview.deployed_at));
    expect(renewed.deployment_id).toBeGreaterThan(preview.deployment_id);

    // Tear down: only the owner or an admin; the Dokploy application is deleted.
    expect((await api('DELETE', '/api/admin/previews/cart', '/api/admin/previews/{slug}', { token: member })).status).toBe(404);
    const down = await api('DELETE', '/api/admin/previews/cart', '/api/admin/previews/{slug}', { token });
    expect([down.status, down.body]).toEqual([200, { torn_down: 1 }]);
    expect(dokploy.count('application.delete')).toBe(1);
    expect(dokploy.application(app.applicationId)).toBeUndefined();
    expect(dokploy.domains).toEqual([]);
    expect((await call(s.url, 'GET', '/api/admin/previews', { token })).body.data[0]).toMatchObject({ state: 'torn_down', message: `torn down by ${ADMIN.email}` });
  });

  it('a preview Dokploy refuses is marked failed with why, the next deployment makes it, deleting the module deletes it', { timeout: 60_000 }, async () => {
    const created = await call(s.url, 'POST', '/api/admin/modules', { token, body: { name: 'Bag', fields: [{ name: 'title', type: 'string' }], applications: ['shop'] } });
    expect(created.status).toBe(201);
    const sha = git(join(repos, 'shop.git'), ['rev-parse', 'refs/heads/module/bag']);
    const bagReport = (id: string) => sendWebhook(s.url, { deploymentId: id, applicationId: 'shop', status: 'success', branch: 'module/bag', commit: sha, moduleName: 'bag' }, s.secret);
    dokploy.failNext('application.create', 401);
    expect((await bagReport('gh-b1')).status).toBe(200);
    const failed = await eventually(async () => (await s.ctx.previews.ofModule('bag')).find((r) => r.state === 'failed'), 'the preview failed');
    expect(failed.message).toMatch(/^Dokploy preview: Dokploy API application.create answered HTTP 401/);
    expect(failed.message).not.toContain('dokploy-key');

    const deploysBefore = dokploy.count('deploy');
    expect((await bagReport('gh-b2')).status).toBe(200);
    // Made: created, given its image and domain, and deployed (the row is recorded at creation).
    await eventually(async () => dokploy.count('deploy') > deploysBefore, 'the preview deployed');
    const made = await eventually(async () => (await s.ctx.previews.ofModule('bag')).find((r) => r.state === 'active'), 'the preview made');
    expect(made).toMatchObject({ kind: 'dokploy', url: 'http://bag.preview.example.com/', message: null });
    expect(dokploy.application(made.external_id!)).toMatchObject({ dockerImage: 'ghcr.io/acme/shop:module-bag' });

    // Deleting the module deletes its Dokploy preview application.
    expect((await call(s.url, 'DELETE', '/api/admin/modules/bag', { token })).status).toBeLessThan(300);
    // The teardown is a durable job: it follows the answer.
    await eventually(async () => (await s.ctx.previews.ofModule('bag')).every((r) => r.state === 'torn_down'), 'the preview torn down');
    expect(dokploy.application(made.external_id!)).toBeUndefined();
    expect((await s.ctx.previews.ofModule('bag')).map((r) => [r.state, r.message])).toEqual([['torn_down', 'module deleted']]);
  });

  it('Promote opens a pull request with the preview link, and answers the open one the second time', { timeout: 30_000 }, async () => {
    // Deployed again: the preview is back (a new Dokploy application), its link goes in the body.
    const sha = git(join(repos, 'shop.git'), ['rev-parse', 'refs/heads/module/cart']);
    expect((await report('gh-3', 'success', sha)).status).toBe(200);
    await eventually(async () => (await s.ctx.previews.urlOf('cart', 'shop')) !== null, 'the preview back');

    expect((await call(s.url, 'POST', '/api/admin/modules/cart/promote', { token: member, body: {} })).status).toBe(404);
    const first = await api('POST', '/api/admin/modules/cart/promote', '/api/admin/modules/{slug}/promote', { token, body: {} });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.results).toEqual([{ application_id: 'shop', kind: 'pull_request', url: 'https://github.com/acme/shop/pull/1', number: 1, existing: false, commit: null, fast_forward: null }]);
    expect(github.pulls).toHaveLength(1);
    expect(github.pulls[0]).toMatchObject({ repository: 'acme/shop', head: 'module/cart', base: 'main', title: "Module 'cart'" });
    expect(github.pulls[0]!.body).toContain('Preview: http://cart.preview.example.com/');

    const again = await call(s.url, 'POST', '/api/admin/modules/cart/promote', { token, body: {} });
    expect(again.body.results[0]).toMatchObject({ kind: 'pull_request', number: 1, existing: true });
    expect(github.pulls).toHaveLength(1);
    expect(github.calls.filter((c) => c.path.startsWith('/repos/acme/shop/pulls')).map((c) => [c.method, c.status])).toEqual([
      ['POST', 201],
      ['POST', 422],
      ['GET', 200],
    ]);
    // Merged on GitHub: the leader's pass sees it, and the preview goes (its Dokploy application too).
    const previewApp = (await s.ctx.previews.ofModule('cart'))[0]!.external_id!;
    await s.ctx.previews.runOnce();
    expect((await s.ctx.previews.ofModule('cart'))[0]!.state).toBe('active');
    github.mergePull('acme/shop', 1);
    await s.ctx.previews.runOnce();
    expect((await s.ctx.previews.ofModule('cart')).map((r) => [r.state, r.message])).toEqual([['torn_down', 'merged into main (pull request #1)']]);
    expect(dokploy.application(previewApp)).toBeUndefined();

    // The body is checked: anything but { confirm } is refused.
    expect((await api('POST', '/api/admin/modules/cart/promote', '/api/admin/modules/{slug}/promote', { token, body: { force: true } })).status).toBe(422);
  });

  it('every answer above matches the schema the OpenAPI document declares for its status', async () => {
    const doc = (await call(s.url, 'GET', '/api/openapi.json')).body;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    expect(answers.map((a) => `${a.method} ${a.status}`)).toEqual(['GET 200', 'DELETE 404', 'DELETE 200', 'POST 200', 'POST 422']);
    for (const a of answers) {
      const schema = doc.paths[a.path]?.[a.method.toLowerCase()]?.responses?.[String(a.status)]?.content?.['application/json']?.schema;
      expect(schema, `${a.method} ${a.path} ${a.status} declared`).toBeDefined();
      const validate = ajv.compile({ ...schema, components: doc.components });
      validate(a.body);
      expect(validate.errors ?? [], `${a.method} ${a.path} ${a.status}`).toEqual([]);
    }
  });
});
