/**
 * The GitHub client against the contract stub: the token goes in the Authorization header only, and
 * no error message (a refusal, a validation failure, an unreachable API) ever carries it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubStub } from '../test-support/github-stub.ts';
import { GitHubApiError, GitHubClient } from './github.client.ts';

describe('GitHubClient', () => {
  let stub: GitHubStub;
  const token = 'ghp_secretToken0123456789';
  beforeAll(async () => {
    stub = await GitHubStub.start({ token });
  });
  afterAll(() => stub?.close());

  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as GitHubApiError);

  it('creates a deployment and its statuses, sending the token as a Bearer header only', async () => {
    const gh = new GitHubClient({ token, apiUrl: stub.url, timeoutMs: 5000 });
    const id = await gh.createDeployment('acme/shop', { ref: 'a'.repeat(40), environment: 'preview-x', description: 'd', transient: true });
    await gh.createDeploymentStatus('acme/shop', id, { state: 'success', description: 'ok', environmentUrl: 'https://x.example.com/', logUrl: 'https://slipway.example.com/modules?deployment=1' });
    expect(stub.deployments[0]!.statuses[0]).toMatchObject({ state: 'success', environment_url: 'https://x.example.com/' });
    expect(stub.calls.every((c) => !c.path.includes(token))).toBe(true);
  });

  it('never puts the token in an error', async () => {
    const wrong = new GitHubClient({ token: 'ghp_wrongToken0123456789', apiUrl: stub.url, timeoutMs: 5000 });
    const refused = await failure(wrong.createCommitStatus('acme/shop', 'b'.repeat(40), { state: 'success', description: 'x', context: 'slipway' }));
    expect(refused).toBeInstanceOf(GitHubApiError);
    expect(refused!.status).toBe(401);
    expect(refused!.message).toBe('GitHub API answered HTTP 401 to POST /repos/acme/shop/statuses/' + 'b'.repeat(40) + ': Bad credentials');

    const gh = new GitHubClient({ token, apiUrl: stub.url, timeoutMs: 5000 });
    const invalid = await failure(gh.createDeploymentStatus('acme/shop', '999', { state: 'in_progress', description: 'x' }));
    expect(invalid!.status).toBe(404);
    const down = await failure(new GitHubClient({ token, apiUrl: 'http://127.0.0.1:1', timeoutMs: 2000 }).openPullRequest('acme/shop', { head: 'module/x', base: 'main', title: 't', body: 'b' }));
    expect(down!.message).toMatch(/^GitHub API unreachable/);
    for (const e of [refused, invalid, down]) expect(`${e!.message} ${JSON.stringify(e!.body ?? null)}`).not.toContain('Token0123456789');
  });
});
