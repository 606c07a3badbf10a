import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DokployStub } from '../test-support/dokploy-stub.ts';
import { DokployApiError, DokployClient, dokployApiProblem } from './dokploy.client.ts';
import { apiEndpoint, deploymentSince, interpretWebhookAnswer, parseDeployments, parseLogs, webhookRequest } from './dokploy-answers.ts';

describe('Dokploy answers (pure)', () => {
  it('maps each documented webhook answer', () => {
    expect(interpretWebhookAnswer(200, '{"message":"Application deployed successfully"}')).toEqual({ kind: 'queued', message: 'Application deployed successfully' });
    // Dokploy's reason on a 301 is kept: it tells the person what to fix.
    expect(interpretWebhookAnswer(301, '{"message":"Watch Paths Not Match"}')).toEqual({ kind: 'ignored', message: 'Dokploy ignored the call: Watch Paths Not Match' });
    expect(interpretWebhookAnswer(301, '')).toEqual({ kind: 'ignored', message: 'Dokploy ignored the call: the branch or image does not match the application' });
    expect(interpretWebhookAnswer(400, '{"message":"Automatic deployments are disabled"}')).toEqual({ kind: 'refused', message: 'Automatic deployments are disabled' });
    expect(interpretWebhookAnswer(404, '{"message":"Application Not Found"}').kind).toBe('unknown_token');
    expect(interpretWebhookAnswer(502, 'Bad Gateway')).toMatchObject({ kind: 'error', status: 502, message: 'Dokploy answered HTTP 502: Bad Gateway' });
  });

  it('builds a push event for git-sourced apps, a plain POST for image-sourced ones', () => {
    const commit = { id: 'a'.repeat(40), message: 'Add module products', changes: { added: ['src/p.ts'], modified: ['src/index.ts'], removed: [] } };
    const req = webhookRequest({ branch: 'module/products', gitSourced: true, commit });
    expect(req.headers).toEqual({ 'content-type': 'application/json', 'x-github-event': 'push' });
    // GitHub's push event: Dokploy reads head_commit (title, hash) and commits[] (watch paths).
    expect(JSON.parse(req.body)).toEqual({
      ref: 'refs/heads/module/products',
      after: commit.id,
      head_commit: { id: commit.id, message: 'Add module products' },
      commits: [{ id: commit.id, message: 'Add module products', added: ['src/p.ts'], modified: ['src/index.ts'], removed: [] }],
    });
    expect(webhookRequest({ branch: 'main', gitSourced: true })).toEqual({ headers: req.headers, body: '{"ref":"refs/heads/main"}' });
    expect(webhookRequest({ branch: 'main', gitSourced: false })).toEqual({ headers: { 'content-type': 'application/json' }, body: '{}' });
  });

  it('reads deployments newest first, log tails in any of the shapes, and the API URL with or without /api', () => {
    const list = parseDeployments([
      { deploymentId: 'a', status: 'done', createdAt: '2025-01-01T00:00:00.000Z' },
      { deploymentId: 'b', status: 'error', createdAt: '2025-01-02T00:00:00.000Z', errorMessage: 'boom' },
      { nonsense: true },
    ]);
    expect(list.map((d) => d.deploymentId)).toEqual(['b', 'a']);
    expect(list[0]!.errorMessage).toBe('boom');
    expect(deploymentSince(list[0], Date.parse('2025-01-02T00:00:00.000Z'))?.deploymentId).toBe('b');
    expect(deploymentSince(list[0], Date.parse('2025-01-03T00:00:00.000Z'))).toBeUndefined();
    expect(parseLogs(JSON.stringify('one\ntwo\n\nthree\n'), 2)).toEqual(['two', 'three']);
    expect(parseLogs(JSON.stringify({ logs: ['x', 'y'] }), 5)).toEqual(['x', 'y']);
    expect(parseLogs('plain\ntext', 5)).toEqual(['plain', 'text']);
    expect(apiEndpoint('https://d.example.com/', 'deployment.all', { applicationId: 'x y' })).toBe('https://d.example.com/api/deployment.all?applicationId=x+y');
    expect(apiEndpoint('https://d.example.com/api', 'application.deploy')).toBe('https://d.example.com/api/application.deploy');
  });
});

describe('Dokploy client against the Dokploy contract stub', () => {
  let stub: DokployStub;
  let client: DokployClient;

  beforeAll(async () => {
    stub = await DokployStub.start({ apiKey: 'secret-key-123' });
    stub.addApplication({ applicationId: 'app-git', token: 'tok-git', source: 'git', branch: 'module/products' });
    stub.addApplication({ applicationId: 'app-img', token: 'tok-img', source: 'docker' });
    stub.addApplication({ applicationId: 'app-off', token: 'tok-off', autoDeploy: false });
    client = new DokployClient({ apiUrl: stub.url, apiKey: 'secret-key-123', timeoutMs: 2000 });
  });
  afterAll(() => stub?.close());

  it('200: a git-sourced app is queued by a push event for its branch (queued only: running)', async () => {
    const out = await client.triggerWebhook(stub.webhookUrl('tok-git'), { branch: 'module/products', gitSourced: true });
    expect(out).toEqual({ kind: 'queued', message: 'Application deployed successfully' });
    const call = stub.calls.at(-1)!;
    expect(call.headers['x-github-event']).toBe('push');
    expect(JSON.parse(call.body)).toEqual({ ref: 'refs/heads/module/products' });
    expect(stub.deploymentsOf('app-git')[0]!.status).toBe('running');
  });

  it('200: an image-sourced app redeploys on any POST', async () => {
    expect((await client.triggerWebhook(stub.webhookUrl('tok-img'), { branch: 'whatever', gitSourced: false })).kind).toBe('queued');
  });

  it('301 with no Location: ignored on a branch mismatch, and without the push headers — not followed', async () => {
    expect(await client.triggerWebhook(stub.webhookUrl('tok-git'), { branch: 'module/other', gitSourced: true })).toEqual({
      kind: 'ignored',
      message: 'Dokploy ignored the call: Branch Not Match',
    });
    expect((await client.triggerWebhook(stub.webhookUrl('tok-git'), { branch: 'module/products', gitSourced: false })).kind).toBe('ignored');
    expect(stub.calls.at(-1)!.status).toBe(301);
  });

  it('400: refused when auto-deploy is off, with its message', async () => {
    expect(await client.triggerWebhook(stub.webhookUrl('tok-off'), { branch: 'main', gitSourced: true })).toEqual({
      kind: 'refused',
      message: 'Automatic deployments are disabled for this application',
    });
  });

  it('404: unknown token', async () => {
    expect((await client.triggerWebhook(stub.webhookUrl('nope'), { branch: 'main', gitSourced: true })).kind).toBe('unknown_token');
  });

  it('an unreachable or silent Dokploy is an error outcome within the timeout, never a throw', async () => {
    const silent = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    const quick = new DokployClient({ timeoutMs: 200 });
    const out = await quick.triggerWebhook(`http://127.0.0.1:${port}/api/deploy/secret-token`, { branch: 'main', gitSourced: true });
    expect(out).toMatchObject({ kind: 'error', message: expect.stringContaining('no answer within 200 ms') });
    expect(out.message).not.toContain('secret-token');
    silent.closeAllConnections();
    silent.close();
    const closed = await quick.triggerWebhook(`http://127.0.0.1:${port}/api/deploy/x`, { branch: 'main', gitSourced: true });
    expect(closed.kind).toBe('error');
  });

  it('API: deploy, newest deployment, log tail — with x-api-key', async () => {
    await client.deploy('app-img');
    const call = stub.calls.at(-1)!;
    expect(call).toMatchObject({ method: 'POST', path: '/api/application.deploy', status: 200 });
    expect(call.headers['x-api-key']).toBe('secret-key-123');
    const newest = stub.addDeployment('app-img', { logs: ['pulling', 'starting', 'healthy'] });
    expect((await client.latestDeployment('app-img'))?.deploymentId).toBe(newest.deploymentId);
    stub.finish(newest.deploymentId, 'done');
    expect(await client.latestDeployment('app-img')).toMatchObject({ deploymentId: newest.deploymentId, status: 'done' });
    expect(await client.readLogs(newest.deploymentId, 2)).toEqual(['starting', 'healthy']);
    expect(stub.calls.at(-1)!.query).toEqual({ deploymentId: newest.deploymentId, tail: '2' });
  });

  it('API errors are typed; the key never appears in them', async () => {
    const wrongKey = new DokployClient({ apiUrl: stub.url, apiKey: 'wrong-key-456', timeoutMs: 2000 });
    const auth = await wrongKey.latestDeployment('app-img').catch((e: unknown) => e);
    expect(auth).toBeInstanceOf(DokployApiError);
    expect(auth).toMatchObject({ kind: 'auth', status: 401, permanent: true });
    expect(String((auth as Error).message)).not.toContain('wrong-key-456');

    expect(await client.latestDeployment('missing').catch((e: unknown) => e)).toMatchObject({ kind: 'not_found', permanent: true });
    stub.failNext('deployment.all', 503);
    expect(await client.latestDeployment('app-img').catch((e: unknown) => e)).toMatchObject({ kind: 'unavailable', status: 503, permanent: false });
    expect(await new DokployClient({}).deploy('x').catch((e: unknown) => e)).toMatchObject({ kind: 'not_configured' });
  });

  it('names the missing API key variable, never a value', () => {
    const app = { id: 'backend', baseBranch: 'main', dokploy: { apiUrl: 'https://d.example.com', apiKeyEnv: 'DOKPLOY_API_KEY', applicationId: 'a' } };
    expect(dokployApiProblem(app, {})).toMatch(/DOKPLOY_API_KEY .* is not set/);
    expect(dokployApiProblem(app, { DOKPLOY_API_KEY: 'k' })).toBeUndefined();
  });
});
