import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ensureBareRepo } from '../git/index.ts';
import { sign } from '../test-support/http.ts';
import { ADMIN, startTestServer, TEST_SECRET, type TestServer } from '../test-support/server.ts';
import { registerOpenApi, registeredRoutes } from './openapi.ts';

type Doc = { openapi: string; paths: Record<string, Record<string, Operation>>; components: Record<string, unknown> };
type Operation = { responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }> };

/**
 * The routes the document leaves out, on purpose and by name (openapi.ts, HIDDEN_ROUTE_PREFIXES):
 * anything else Fastify registers must be documented, with its answers.
 */
const HIDDEN = [
  (m: string) => m === 'OPTIONS', // CORS preflights
  (m: string) => m === 'HEAD', // Fastify's automatic HEAD of each GET
  (_: string, u: string) => u === '/' || u === '/*', // the web app's files
  (_: string, u: string) => u.startsWith('/git/'), // git smart HTTP
  (_: string, u: string) => u.startsWith('/apps/'), // the Pusher HTTP API
  (_: string, u: string) => u.startsWith('/preview/'), // previews: the module's own HTTP, proxied
  (_: string, u: string) => u === '/metrics', // Prometheus's text format
  (_: string, u: string) => u === '/api/openapi.json' || u === '/api/docs' || u.startsWith('/api/docs/'), // the document and its page
];
const hidden = (method: string, url: string) => HIDDEN.some((h) => h(method, url));

const docPath = (url: string) => url.replace(/:([A-Za-z_]+)/g, '{$1}');

/** Each route of the app that the document must describe, and the problems found with it. */
function coverageProblems(doc: Doc, routes: readonly { method: string; url: string }[]): string[] {
  const problems: string[] = [];
  for (const { method, url } of routes) {
    const op = doc.paths[docPath(url)]?.[method.toLowerCase()];
    if (hidden(method, url)) {
      if (op) problems.push(`${method} ${url} is documented but listed as hidden`);
      continue;
    }
    if (!op) {
      problems.push(`${method} ${url} is missing from the document`);
      continue;
    }
    const statuses = Object.keys(op.responses ?? {});
    const success = statuses.filter((s) => /^2\d\d$/.test(s));
    // A route that declares no answers gets `200: Default Response`, with no body schema, from @fastify/swagger.
    if (!success.length) problems.push(`${method} ${url} declares no successful answer`);
    for (const s of success) if (s !== '204' && !op.responses[s]!.content?.['application/json']) problems.push(`${method} ${url} ${s} has no JSON body schema (schema.response)`);
  }
  return problems;
}

describe('OpenAPI document', () => {
  it('is served at /api/openapi.json, is valid OpenAPI 3.1, and documents every route but the hidden ones', async () => {
    const s = await startTestServer('sqlite');
    try {
      const res = await s.app.inject({ method: 'GET', url: '/api/openapi.json' });
      expect(res.statusCode).toBe(200);
      const doc = res.json() as Doc;
      expect(doc.openapi).toBe('3.1.0');

      const validator = new Validator();
      const verdict = await validator.validate(doc as never);
      expect(verdict.errors ?? []).toEqual([]);
      expect(verdict.valid).toBe(true);

      const routes = registeredRoutes(s.app);
      expect(routes.length).toBeGreaterThan(30);
      expect(coverageProblems(doc, routes)).toEqual([]);
      // The contracts' routes are there, with the ones docs/contracts.md says must not change.
      for (const [m, p] of [
        ['post', '/api/webhooks/dokploy/deployment'],
        ['post', '/broadcasting/auth'],
        ['get', '/api/admin/deployments/active'],
        ['get', '/api/admin/deployments/{slug}/status'],
        ['post', '/api/admin/modules'],
      ] as const) {
        expect(doc.paths[p]?.[m], `${m} ${p}`).toBeDefined();
      }
      expect(Object.keys(doc.paths).filter((p) => p.startsWith('/git/') || p.startsWith('/apps/'))).toEqual([]);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('fails when a route has no schema, or is missing', async () => {
    const app = Fastify();
    await registerOpenApi(app);
    app.get('/api/undocumented', async () => ({ ok: true }));
    app.get('/api/documented', { schema: { response: { 200: z.object({ ok: z.boolean() }) } } }, async () => ({ ok: true }));
    await app.ready();
    const doc = app.swagger() as unknown as Doc;
    expect(coverageProblems(doc, registeredRoutes(app))).toEqual(['GET /api/undocumented 200 has no JSON body schema (schema.response)']);
    expect(coverageProblems(doc, [...registeredRoutes(app), { method: 'POST', url: '/api/elsewhere' }])).toContain('POST /api/elsewhere is missing from the document');
    await app.close();
  });

  it('serves the reference page from this server, under the app\'s Content-Security-Policy', async () => {
    const s = await startTestServer('sqlite');
    try {
      const page = await s.app.inject({ method: 'GET', url: '/api/docs/' });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      // Every script and stylesheet of the page comes from this server: no CDN, works offline.
      const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      expect(assets.length).toBeGreaterThan(2);
      expect(page.body).not.toMatch(/<script>(?!\s*<\/script>)/); // no inline script for script-src 'self' to block
      for (const a of assets) {
        expect(a, a).not.toMatch(/^(https?:)?\/\//);
        const url = new URL(a, 'http://localhost/api/docs/').pathname;
        expect((await s.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
      }
      const init = await s.app.inject({ method: 'GET', url: '/api/docs/static/swagger-initializer.js' });
      expect(init.statusCode).toBe(200);
      expect((await s.app.inject({ method: 'GET', url: '/api/docs/json' })).json()).toMatchObject({ openapi: '3.1.0' });
    } finally {
      await s.close();
    }
  }, 60_000);
});

/**
 * Real answers of the main routes, from a real SQLite-backed server, against the schemas the
 * document declares for their status: a field renamed, added or dropped on either side fails.
 */
describe('answers match their declared schemas', () => {
  let s: TestServer;
  let doc: Doc;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-openapi-'));
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const checked = new Set<string>();
  let cookie = '';
  let csrf = '';

  /** Sends a request, and checks its answer against the document's schema for `template` and the status. */
  async function check(method: string, template: string, url: string, opts: { body?: unknown; raw?: string; headers?: Record<string, string>; session?: boolean; expect?: number } = {}) {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.session !== false && cookie) Object.assign(headers, { cookie, 'x-xsrf-token': csrf });
    const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const res = await s.app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) });
    const where = `${method} ${template} → ${res.statusCode} ${res.body.slice(0, 300)}`;
    if (opts.expect !== undefined) expect(res.statusCode, where).toBe(opts.expect);
    const declared = doc.paths[template]?.[method.toLowerCase()]?.responses?.[String(res.statusCode)];
    expect(declared, `${where}: status not declared`).toBeDefined();
    if (res.statusCode === 204) {
      expect(res.body, where).toBe('');
    } else {
      const schema = declared!.content?.['application/json']?.schema;
      expect(schema, `${where}: no body schema`).toBeDefined();
      const validate = ajv.compile({ ...(schema as object), components: doc.components });
      const ok = validate(res.json());
      expect(validate.errors ?? [], where).toEqual([]);
      expect(ok).toBe(true);
    }
    checked.add(`${method} ${template} ${res.statusCode}`);
    return res;
  }

  beforeAll(async () => {
    const repos = join(dir, 'remotes');
    for (const app of ['backend', 'frontend']) {
      await ensureBareRepo(repos, app, { initialFiles: [{ path: 'README.md', content: `# ${app}\n` }] });
    }
    writeFileSync(join(dir, 'apps.yaml'), `applications:\n  - id: backend\n    repoUrl: ${join(repos, 'backend.git')}\n  - id: frontend\n    repoUrl: ${join(repos, 'frontend.git')}\n`);
    // Create and update wait for the publish, so their answers carry branches and a deployment.
    s = await startTestServer('sqlite', { SLIPWAY_CONFIG: join(dir, 'apps.yaml'), SLIPWAY_PUBLISH_WAIT_MS: '60000' });
    doc = (await s.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as Doc;
    await s.ctx.auth.addUser('member@example.com', 'member-password', 'member');
  }, 60_000);
  afterAll(async () => {
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('auth: sign-in, who am I, tokens', async () => {
    await check('GET', '/api/auth/me', '/api/auth/me', { expect: 401 });
    await check('POST', '/api/auth/login', '/api/auth/login', { body: { email: ADMIN.email, password: 'wrong' }, expect: 401 });
    const bad = await check('POST', '/api/auth/login', '/api/auth/login', { body: { email: '' }, expect: 422 });
    expect(bad.json().details.map((d: { field: string }) => d.field)).toEqual(['email', 'password']);
    const login = await check('POST', '/api/auth/login', '/api/auth/login', { body: ADMIN, expect: 200 });
    cookie = [login.cookies].flat().map((c) => `${c.name}=${c.value}`).join('; ');
    csrf = login.json().csrf_token;
    await check('GET', '/api/auth/me', '/api/auth/me', { expect: 200 });
    const created = await check('POST', '/api/auth/tokens', '/api/auth/tokens', { body: { name: 'ci', expiresInDays: 30 }, expect: 201 });
    await check('POST', '/api/auth/tokens', '/api/auth/tokens', { body: { name: '' }, expect: 422 });
    await check('GET', '/api/auth/tokens', '/api/auth/tokens', { expect: 200 });
    await check('DELETE', '/api/auth/tokens/{id}', `/api/auth/tokens/${created.json().id}`, { expect: 204 });
    await check('DELETE', '/api/auth/tokens/{id}', `/api/auth/tokens/${created.json().id}`, { expect: 404 });
    // Refused sign-ins until the account is locked, then the address is limited: both 429s as declared.
    const statuses: number[] = [];
    for (let i = 0; i < 25 && statuses.filter((x) => x === 429).length < 2; i++) {
      statuses.push((await check('POST', '/api/auth/login', '/api/auth/login', { body: { email: 'nobody@example.com', password: 'wrong' }, session: false })).statusCode);
    }
    expect(statuses).toContain(429);
  });

  it('modules, deployments and the webhook', async () => {
    await check('GET', '/api/admin/applications', '/api/admin/applications', { expect: 200 });
    const products = {
      name: 'Products',
      fields: [
        { name: 'title', type: 'string', required: true, label: 'Title' },
        { name: 'status', type: 'enum', options: ['draft', 'live'], default: 'draft' },
      ],
      applications: ['backend', 'frontend'],
    };
    await check('POST', '/api/admin/modules/preview', '/api/admin/modules/preview', { body: products, expect: 200 });
    const invalid = await check('POST', '/api/admin/modules', '/api/admin/modules', { body: { ...products, fields: [] }, expect: 422 });
    expect(invalid.json().details).toEqual([{ field: 'fields', message: 'a module needs at least one field' }]);
    const created = await check('POST', '/api/admin/modules', '/api/admin/modules', { body: products, expect: 201 });
    expect(created.json().branches).toHaveLength(2);
    await check('POST', '/api/admin/modules', '/api/admin/modules', { body: products, expect: 409 });
    await check('GET', '/api/admin/modules', '/api/admin/modules', { expect: 200 });
    await check('GET', '/api/admin/modules/{slug}', '/api/admin/modules/products', { expect: 200 });
    await check('GET', '/api/admin/modules/{slug}', '/api/admin/modules/nothing', { expect: 404 });
    await check('PUT', '/api/admin/modules/{slug}', '/api/admin/modules/products', { body: { ...products, description: 'What we sell' }, expect: 200 });

    // CI reports, signed, on the module's branch: the deployment goes live.
    const hook = '/api/webhooks/dokploy/deployment';
    const report = (extra: object) => JSON.stringify({ status: 'done', branch: 'module/products', moduleName: 'products', isModuleBranch: true, ...extra });
    const signed = (raw: string, headers: Record<string, string> = {}) => ({ raw, session: false, headers: { 'x-webhook-signature': sign(raw, TEST_SECRET), ...headers } });
    const backend = report({ deploymentId: 'gh-1-backend', applicationId: 'backend', message: 'Built' });
    await check('POST', hook, hook, { ...signed(backend), expect: 200 });
    await check('POST', hook, hook, { ...signed(backend), expect: 200 }); // duplicate
    await check('POST', hook, hook, { ...signed(report({ deploymentId: 'gh-1-frontend', applicationId: 'frontend', url: 'http://products.example.test' })), expect: 200 });
    await check('POST', hook, hook, { raw: backend, session: false, headers: { 'x-webhook-signature': 'sha256=00' }, expect: 401 });
    await check('POST', hook, hook, { ...signed('{"status":'), expect: 400 });
    await check('POST', hook, hook, { ...signed('{"status":"finished"}'), expect: 422 });
    // The spec's manual test, as is.
    await check('POST', hook, hook, { ...signed('{"deploymentId":"test-123","status":"done","branch":"module/test","message":"Test deployment"}'), expect: 200 });

    const status = await check('GET', '/api/admin/deployments/{slug}/status', '/api/admin/deployments/products/status', { expect: 200 });
    expect(status.json()).toMatchObject({ status: 'success', ci_message: 'Built' });
    await check('GET', '/api/admin/deployments/{slug}/status', '/api/admin/deployments/nothing/status', { expect: 404 });
    await check('GET', '/api/admin/deployments/{id}', `/api/admin/deployments/${status.json().deployment_id}`, { expect: 200 });
    await check('GET', '/api/admin/deployments/{id}', '/api/admin/deployments/x', { expect: 404 });
    await check('GET', '/api/admin/deployments/active', '/api/admin/deployments/active', { expect: 200 });
    await check('GET', '/api/admin/deployments', '/api/admin/deployments?per_page=2&status=success', { expect: 200 });
    await check('GET', '/api/admin/deployments', '/api/admin/deployments?per_page=1000', { expect: 422 });

    // The controls: a finished deployment cannot be cancelled; a successful one has nothing to retry.
    const id = status.json().deployment_id;
    await check('POST', '/api/admin/deployments/{id}/cancel', `/api/admin/deployments/${id}/cancel`, { expect: 409 });
    await check('POST', '/api/admin/deployments/{id}/retry', `/api/admin/deployments/${id}/retry`, { expect: 409 });
    await check('POST', '/api/admin/deployments/{id}/retry', '/api/admin/deployments/x/retry', { expect: 404 });
    await check('POST', '/api/admin/modules/{slug}/redeploy', '/api/admin/modules/nothing/redeploy', { expect: 404 });
    // Built by CI outside Slipway: there is nothing Slipway can build again.
    await check('POST', '/api/admin/modules/{slug}/redeploy', '/api/admin/modules/products/redeploy', { expect: 409 });
    await check('POST', '/api/admin/modules/{slug}/services/start', '/api/admin/modules/products/services/start', { expect: 409 });

    await check('DELETE', '/api/admin/modules/{slug}', '/api/admin/modules/products?deleteBranches=maybe', { expect: 400 });
    await check('DELETE', '/api/admin/modules/{slug}', '/api/admin/modules/products?deleteBranches=true', { expect: 200 });
    const invoices = await check('POST', '/api/admin/modules', '/api/admin/modules', { body: { ...products, name: 'Invoices', applications: ['backend'] }, expect: 201 });
    await check('POST', '/api/admin/deployments/{id}/cancel', `/api/admin/deployments/${invoices.json().deployment.deployment_id}/cancel`, { expect: 200 });
    await check('DELETE', '/api/admin/modules/{slug}', '/api/admin/modules/invoices', { expect: 204 });
    await check('GET', '/api/admin/modules', '/api/admin/modules', { session: false, expect: 401 });
  });

  it('realtime: client config, channel and user auth', async () => {
    await check('GET', '/api/config', '/api/config', { expect: 200 });
    const me = (await s.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } })).json() as { id: number };
    const form = (body: Record<string, string>) => ({ raw: new URLSearchParams(body).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await check('POST', '/broadcasting/auth', '/broadcasting/auth', { ...form({ socket_id: '1.2', channel_name: `private-App.Models.User.${me.id}` }), expect: 200 });
    await check('POST', '/broadcasting/auth', '/broadcasting/auth', { ...form({ socket_id: '1.2', channel_name: `private-App.Models.User.${me.id + 1}` }), expect: 403 });
    await check('POST', '/broadcasting/auth', '/broadcasting/auth', { ...form({ socket_id: 'x', channel_name: 'private-deployments' }), expect: 400 });
    await check('POST', '/broadcasting/auth', '/broadcasting/auth', { ...form({ socket_id: '1.2', channel_name: 'private-deployments' }), session: false, expect: 401 });
    await check('POST', '/broadcasting/user-auth', '/broadcasting/user-auth', { ...form({ socket_id: '1.2' }), expect: 200 });
    await check('GET', '/healthz', '/healthz', { session: false, expect: 200 });
    await check('GET', '/readyz', '/readyz', { session: false, expect: 200 });
  });

  it('covered the main routes and their refusals', () => {
    const routes = new Set([...checked].map((c) => c.split(' ').slice(0, 2).join(' ')));
    for (const r of [
      'POST /api/auth/login',
      'GET /api/auth/me',
      'POST /api/auth/tokens',
      'GET /api/admin/modules',
      'POST /api/admin/modules',
      'PUT /api/admin/modules/{slug}',
      'DELETE /api/admin/modules/{slug}',
      'GET /api/admin/deployments/{slug}/status',
      'GET /api/admin/deployments/active',
      'POST /api/webhooks/dokploy/deployment',
      'POST /broadcasting/auth',
    ]) {
      expect(routes.has(r), r).toBe(true);
    }
    expect([...checked].filter((c) => / 4\d\d$/.test(c)).length).toBeGreaterThan(10);
  });
});

