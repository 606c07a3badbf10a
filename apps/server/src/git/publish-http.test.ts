import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBareRepo } from './local-repos.ts';
import { publishModuleBranch, type PublishRequest } from './publish.ts';
import { argvRecordingGit, eventually, git, sampleProcessArgv, startGitServer, tempDir, failure } from './test-helpers.ts';

/**
 * Publishing over git smart HTTP (Slipway's own `gitHttpRoutes` in front of `git http-backend`,
 * token auth): the same publish, the auth and not-found errors, and no token anywhere it could leak.
 */

const TOKEN = 'slp_publishHttpToken_k3J9xQ2mV7bN4cR8tY1wE6';
const tmp = tempDir('publish-http');
const reposDir = join(tmp.dir, 'repos');
let server: Awaited<ReturnType<typeof startGitServer>>;
const logLines: string[] = [];
const log = { debug: (m: string) => logLines.push(m) };

beforeAll(async () => {
  await ensureBareRepo(reposDir, 'backend', { initialFiles: [{ path: 'README.md', content: '# backend\n' }, { path: 'src/main.ts', content: 'main();\n' }] });
  server = await startGitServer(reposDir, TOKEN);
});
afterAll(async () => {
  await server.app.close();
  tmp.cleanup();
});

function request(over: Partial<PublishRequest> = {}): PublishRequest {
  return {
    remote: { url: `${server.url}/git/backend.git`, token: TOKEN },
    baseBranch: 'main',
    branch: 'module/products',
    files: [{ path: 'src/modules/products/index.ts', content: 'export const products = [];\n' }],
    message: 'Add module products',
    author: { name: 'Slipway', email: 'slipway@example.com' },
    mirrorsDir: join(tmp.dir, 'mirrors'),
    timeoutMs: 20_000,
    log,
    ...over,
  };
}


describe('publishModuleBranch over smart HTTP with a token', () => {
  const repo = join(reposDir, 'backend.git');

  it('publishes, updates, and is idempotent; the server hears each push', async () => {
    const first = await publishModuleBranch(request());
    expect(first).toMatchObject({ created: true, changedFiles: 1, previous: null });
    expect(git(repo, ['rev-parse', 'module/products'])).toBe(first.commit);
    await eventually(() => server.pushes.length === 1);
    expect(server.pushes[0]).toEqual({
      app: 'backend',
      updates: [{ ref: 'refs/heads/module/products', before: '0000000000000000000000000000000000000000', after: first.commit }],
    });

    const same = await publishModuleBranch(request({ expectedHead: first.commit }));
    expect(same).toMatchObject({ commit: first.commit, changedFiles: 0 });
    const next = await publishModuleBranch(request({ expectedHead: first.commit, files: [{ path: 'src/modules/products/index.ts', content: 'export const products = [1];\n' }] }));
    expect(git(repo, ['rev-parse', `${next.commit}^`])).toBe(first.commit);
    await eventually(() => server.pushes.length === 2);
    expect(server.pushes[1]?.updates).toEqual([{ ref: 'refs/heads/module/products', before: first.commit, after: next.commit }]);
  });

  it('auth_failed for a wrong or missing token, repo_not_found for an unknown repository', async () => {
    const wrong = await failure(publishModuleBranch(request({ remote: { url: `${server.url}/git/backend.git`, token: 'slp_wrongwrongwrongwrongwrongwrongwrong' }, branch: 'module/a' })));
    expect(wrong.code).toBe('auth_failed');
    expect(wrong.message).not.toContain('wrongwrong');
    const none = await failure(publishModuleBranch(request({ remote: { url: `${server.url}/git/backend.git` }, branch: 'module/a' })));
    expect(none.code).toBe('auth_failed');
    const missing = await failure(publishModuleBranch(request({ remote: { url: `${server.url}/git/nothing.git`, token: TOKEN } })));
    expect(missing.code).toBe('repo_not_found');
  });

  it('timeout when the server does not answer in time', async () => {
    const { createServer } = await import('node:http');
    const silent = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    try {
      const err = await failure(publishModuleBranch(request({ remote: { url: `http://127.0.0.1:${port}/git/backend.git`, token: TOKEN }, timeoutMs: 1500 })));
      expect(err.code).toBe('timeout');
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('never puts the token in argv (of git or its helpers), log lines, errors, URLs or the mirror', async () => {
    const rec = argvRecordingGit(tmp.dir);
    const sampler = sampleProcessArgv();
    const seen: string[] = [];
    try {
      // The token even typed into the URL, the way people paste them.
      const inUrl = await publishModuleBranch(request({ remote: { url: `${server.url.replace('://', `://person:${TOKEN}@`)}/git/backend.git` }, branch: 'module/orders', git: rec.bin }));
      expect(inUrl.url).toBe(`${server.url}/git/backend.git`);
      await publishModuleBranch(request({ branch: 'module/orders', git: rec.bin, files: [{ path: 'src/modules/orders/index.ts', content: 'v2\n' }] }));
      for (const token of [TOKEN, 'slp_wrongwrongwrongwrongwrongwrongwrong']) {
        const err = await failure(publishModuleBranch(request({ remote: { url: `${server.url}/git/backend.git`, token }, branch: 'module/x', expectedHead: '1'.repeat(40), git: rec.bin })));
        seen.push(err.message, err.detail ?? '', err.stack ?? '', JSON.stringify(err));
      }
      const hooked = join(repo, 'hooks', 'pre-receive');
      const { writeFileSync, chmodSync, rmSync, readFileSync, readdirSync } = await import('node:fs');
      // A server that echoes credentials back in its refusal: still masked.
      writeFileSync(hooked, `#!/bin/sh\necho "denied for https://person:${TOKEN}@example.com and Authorization: Bearer ${TOKEN}" >&2\nexit 1\n`);
      chmodSync(hooked, 0o755);
      const refused = await failure(publishModuleBranch(request({ branch: 'module/refused', git: rec.bin })));
      rmSync(hooked);
      expect(refused.code).toBe('push_rejected');
      seen.push(refused.message, refused.detail ?? '');
      const mirrors = join(tmp.dir, 'mirrors');
      for (const m of readdirSync(mirrors)) if (m.endsWith('.git')) seen.push(readFileSync(join(mirrors, m, 'config'), 'utf8'));
    } finally {
      // Only this file's processes: a person's clone in another test file may carry its own token.
      seen.push(...sampler.stop().filter((cmd) => cmd.includes(server.url) || cmd.includes(tmp.dir)));
    }
    const argv = rec.argv();
    expect(argv).toContain('git-recording push');
    const basic = Buffer.from(`person:${TOKEN}`).toString('base64');
    for (const text of [argv, ...seen, ...logLines]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(TOKEN.slice(4, 24));
      expect(text).not.toContain(basic);
    }
    // The sampler did see git's HTTP helper: the check above covered it.
    expect(seen.some((l) => l.includes('remote-http') || l.includes('git-recording'))).toBe(true);
  });
});
