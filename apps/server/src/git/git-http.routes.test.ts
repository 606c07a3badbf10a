import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBareRepo } from './local-repos.ts';
import { FLUSH_PKT, pktLine } from './pkt-line.ts';
import { eventually, git, gitAsync, startGitServer, tempDir } from './test-helpers.ts';

/** A person cloning and pushing over smart HTTP with a Slipway token; what the routes refuse; onPush. */

const TOKEN = 'slp_4Hs9JdAb4Gi0Vn6QwEZq3vTt8fN2yWmXo1PcLr5uKe7';
const tmp = tempDir('git-http');
const reposDir = join(tmp.dir, 'repos');
let server: Awaited<ReturnType<typeof startGitServer>>;
let withToken: string;
let repoUrl: string;

beforeAll(async () => {
  await ensureBareRepo(reposDir, 'frontend', { initialFiles: [{ path: 'README.md', content: '# frontend\n' }, { path: 'src/main.ts', content: 'boot();\n' }] });
  server = await startGitServer(reposDir, TOKEN);
  repoUrl = `${server.url}/git/frontend.git`;
  withToken = repoUrl.replace('://', `://anyone:${TOKEN}@`);
});
afterAll(async () => {
  await server.app.close();
  tmp.cleanup();
});

describe('git smart HTTP routes', () => {
  it('a person clones and pushes with a token as the password; onPush reports the refs that moved', async () => {
    const work = join(tmp.dir, 'clone');
    await gitAsync(tmp.dir, ['clone', '-q', withToken, work]);
    expect(readFileSync(join(work, 'README.md'), 'utf8')).toBe('# frontend\n');
    const before = git(work, ['rev-parse', 'HEAD']);

    writeFileSync(join(work, 'feature.ts'), 'feature();\n');
    // Big enough for git to stream the pack in chunks (no Content-Length).
    writeFileSync(join(work, 'blob.bin'), randomBytes(3 * 1024 * 1024));
    git(work, ['add', '.']);
    git(work, ['commit', '-qm', 'feature']);
    const after = git(work, ['rev-parse', 'HEAD']);
    await gitAsync(work, ['push', '-q', 'origin', 'main', 'HEAD:refs/heads/module/feature']);
    const bare = join(reposDir, 'frontend.git');
    expect(git(bare, ['rev-parse', 'main'])).toBe(after);
    expect(git(bare, ['cat-file', '-s', `${after}:blob.bin`])).toBe(String(3 * 1024 * 1024));
    await eventually(() => server.pushes.length === 1);
    expect(server.pushes[0]?.app).toBe('frontend');
    expect(server.pushes[0]?.updates).toEqual([
      { ref: 'refs/heads/main', before, after },
      { ref: 'refs/heads/module/feature', before: '0'.repeat(40), after },
    ]);

    // Deleting a branch is a ref update too.
    await gitAsync(work, ['push', '-q', 'origin', ':refs/heads/module/feature']);
    await eventually(() => server.pushes.length === 2);
    expect(server.pushes[1]?.updates).toEqual([{ ref: 'refs/heads/module/feature', before: after, after: '0'.repeat(40) }]);

    // A partial clone works too (the server allows --filter).
    const partial = join(tmp.dir, 'partial');
    await gitAsync(tmp.dir, ['clone', '-q', '--filter=blob:none', '--no-checkout', withToken, partial]);
    expect(git(partial, ['config', 'remote.origin.partialclonefilter'])).toBe('blob:none');
  });

  it('a push refused by a hook does not fire onPush', async () => {
    const work = join(tmp.dir, 'clone-refused');
    await gitAsync(tmp.dir, ['clone', '-q', withToken, work]);
    const hook = join(reposDir, 'frontend.git', 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "no pushes today" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const count = server.pushes.length;
    writeFileSync(join(work, 'x.txt'), 'x\n');
    git(work, ['add', '.']);
    git(work, ['commit', '-qm', 'x']);
    let stderr = '';
    try {
      await gitAsync(work, ['push', 'origin', 'HEAD:refs/heads/module/x']);
    } catch (err) {
      stderr = String((err as { stderr?: string }).stderr);
    }
    rmSync(hook);
    expect(stderr).toContain('no pushes today');
    await new Promise((r) => setTimeout(r, 300));
    expect(server.pushes.length).toBe(count);
  });

  it('fetch and push both need a token: 401 with a Basic challenge, and the git CLI fails cleanly', async () => {
    for (const path of ['/git/frontend.git/info/refs?service=git-upload-pack', '/git/frontend.git/info/refs?service=git-receive-pack']) {
      const res = await fetch(server.url + path);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="Slipway"');
    }
    const wrong = await fetch(`${server.url}/git/frontend.git/info/refs?service=git-upload-pack`, { headers: { authorization: `Basic ${Buffer.from('me:slp_nope').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    await expect(gitAsync(tmp.dir, ['ls-remote', repoUrl])).rejects.toThrow(/could not read Username|Authentication failed/);
    await expect(gitAsync(tmp.dir, ['ls-remote', repoUrl.replace('://', '://me:slp_nope@')])).rejects.toThrow(/Authentication failed/);
    // Bearer works as well as Basic; the token may also be given as the Basic username.
    for (const authorization of [`Bearer ${TOKEN}`, `Basic ${Buffer.from(`${TOKEN}:`).toString('base64')}`]) {
      const ok = await fetch(`${server.url}/git/frontend.git/info/refs?service=git-upload-pack`, { headers: { authorization } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('application/x-git-upload-pack-advertisement');
      expect(await ok.text()).toContain('# service=git-upload-pack');
    }
  });

  it('404 for unknown repositories (after auth), dumb-protocol paths, bad names and wrong methods', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const cases: [string, string, number][] = [
      ['GET', '/git/nothing.git/info/refs?service=git-upload-pack', 404],
      ['GET', '/git/frontend.git/HEAD', 404],
      ['GET', '/git/frontend.git/objects/info/packs', 404],
      ['GET', '/git/frontend.git/config', 404],
      ['GET', '/git/..%2Ffrontend.git/info/refs?service=git-upload-pack', 404],
      ['GET', '/git/Frontend.git/info/refs?service=git-upload-pack', 404],
      ['GET', '/git/frontend.git/info/refs?service=git-upload-archive', 404],
      ['GET', '/git/frontend.git/info/refs', 404],
      ['POST', '/git/frontend.git/info/refs?service=git-upload-pack', 404],
    ];
    for (const [method, path, status] of cases) {
      const res = await fetch(server.url + path, { method, headers: auth });
      expect(res.status, path).toBe(status);
    }
    // Unknown repositories are not told apart from known ones without a token.
    expect((await fetch(`${server.url}/git/nothing.git/info/refs?service=git-upload-pack`)).status).toBe(401);
    await expect(gitAsync(tmp.dir, ['ls-remote', `${server.url.replace('://', `://x:${TOKEN}@`)}/git/nothing.git`])).rejects.toThrow(/not found/);
  });

  it('passes gzip request bodies through to http-backend', async () => {
    const head = git(join(reposDir, 'frontend.git'), ['rev-parse', 'main']);
    const body = Buffer.concat([pktLine(`want ${head}\n`), FLUSH_PKT, pktLine('done\n')]);
    const res = await fetch(`${server.url}/git/frontend.git/git-upload-pack`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-git-upload-pack-request', 'content-encoding': 'gzip' },
      body: gzipSync(body),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-git-upload-pack-result');
    const answer = Buffer.from(await res.arrayBuffer());
    expect(answer.subarray(0, 8).toString()).toBe('0008NAK\n');
    expect(answer.includes(Buffer.from('PACK'))).toBe(true);
  });
});
