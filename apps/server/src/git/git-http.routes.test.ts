import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../auth/auth.service.ts';
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

// backend.git: an application with a deployer; `orders` is another member's module, `mine` the deployer's.
const DEPLOYER_TOKEN = 'slp_deployerdeployerdeployerdeployerdeployer1';
const MEMBER_TOKEN = 'slp_membermembermembermembermembermembermemb1';
const DEPLOYER: User = { id: 7, email: 'dee@example.com', role: 'member' };
const MEMBER: User = { id: 8, email: 'mem@example.com', role: 'member' };

beforeAll(async () => {
  await ensureBareRepo(reposDir, 'frontend', { initialFiles: [{ path: 'README.md', content: '# frontend\n' }, { path: 'src/main.ts', content: 'boot();\n' }] });
  await ensureBareRepo(reposDir, 'backend', { initialFiles: [{ path: 'README.md', content: '# backend\n' }] });
  server = await startGitServer(reposDir, TOKEN, {
    users: { [DEPLOYER_TOKEN]: DEPLOYER, [MEMBER_TOKEN]: MEMBER },
    rules: { backend: { baseBranch: 'main', deployers: ['dee@example.com'] }, frontend: { baseBranch: 'main' } },
    moduleOwners: { mine: DEPLOYER.id, orders: 99 },
  });
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

describe('who may fetch and push a hosted repository', () => {
  const backend = join(reposDir, 'backend.git');
  const urlFor = (token: string) => `${server.url.replace('://', `://someone:${token}@`)}/git/backend.git`;
  const refs = () => git(backend, ['for-each-ref', '--format=%(objectname) %(refname)']);
  /** A push that fails: git's stderr. */
  const refusedPush = async (work: string, args: string[]) => {
    const err = await gitAsync(work, ['push', ...args]).then(
      () => null,
      (e: { stderr?: string }) => String(e.stderr),
    );
    expect(err, 'the push should have failed').not.toBeNull();
    return err!;
  };
  let work: string;

  beforeAll(async () => {
    work = join(tmp.dir, 'deployer-clone');
    await gitAsync(tmp.dir, ['clone', '-q', urlFor(DEPLOYER_TOKEN), work]);
  });

  it('a member who is not a deployer can neither clone nor push: 403, with the reason git prints', async () => {
    const clone = await gitAsync(tmp.dir, ['clone', '-q', urlFor(MEMBER_TOKEN), join(tmp.dir, 'member-clone')]).catch((e: { stderr?: string }) => String(e.stderr));
    expect(clone).toContain("remote: mem@example.com may not fetch or push backend.git: only admins and the application's deployers may");
    expect(clone).toMatch(/403/);
    const before = refs();
    const push = await refusedPush(work, [urlFor(MEMBER_TOKEN), 'HEAD:refs/heads/member-branch']);
    expect(push).toContain('may not fetch or push backend.git');
    expect(refs()).toBe(before);
    // Every endpoint, the POSTs included (a crafted request skips info/refs).
    for (const [method, path] of [['GET', 'info/refs?service=git-upload-pack'], ['POST', 'git-upload-pack'], ['POST', 'git-receive-pack']] as const) {
      const res = await fetch(`${server.url}/git/backend.git/${path}`, {
        method,
        headers: { authorization: `Bearer ${MEMBER_TOKEN}`, 'content-type': `application/x-${path.includes('upload') ? 'git-upload-pack' : 'git-receive-pack'}-request` },
        body: method === 'POST' ? FLUSH_PKT : undefined,
      });
      expect(res.status, path).toBe(403);
    }
    // A repository the configuration names no deployer for: members have no access either.
    expect((await fetch(`${server.url}/git/frontend.git/info/refs?service=git-upload-pack`, { headers: { authorization: `Bearer ${DEPLOYER_TOKEN}` } })).status).toBe(403);
  });

  it('a deployer pushes other branches and their own module branch', async () => {
    writeFileSync(join(work, 'fix.ts'), 'fix();\n');
    git(work, ['add', '.']);
    git(work, ['commit', '-qm', 'fix']);
    const head = git(work, ['rev-parse', 'HEAD']);
    const count = server.pushes.length;
    await gitAsync(work, ['push', '-q', 'origin', 'HEAD:refs/heads/feature/fix', 'HEAD:refs/heads/module/mine']);
    expect(git(backend, ['rev-parse', 'feature/fix', 'module/mine'])).toBe(`${head}\n${head}`);
    await eventually(() => server.pushes.length === count + 1);
    // And may delete what they may push.
    await gitAsync(work, ['push', '-q', 'origin', ':refs/heads/feature/fix']);
    expect(refs()).not.toContain('refs/heads/feature/fix');
    // Its push event too, so the next test counts from a settled number.
    await eventually(() => server.pushes.length === count + 2);
  });

  it("a deployer cannot push the base branch, another user's module branch, an unclaimed module branch or a tag; git shows why, nothing moves", async () => {
    writeFileSync(join(work, 'evil.ts'), 'evil();\n');
    // A pack big enough to be streamed: it is read and dropped, and the answer still reaches git.
    writeFileSync(join(work, 'blob.bin'), randomBytes(2 * 1024 * 1024));
    git(work, ['add', '.']);
    git(work, ['commit', '-qm', 'evil']);
    git(work, ['tag', 'v1']);
    const before = refs();
    const count = server.pushes.length;
    const cases: [string[], string][] = [
      [['HEAD:main'], "! [remote rejected] HEAD -> main ('main' is the base branch: only admins may push to it)"],
      [['HEAD:refs/heads/module/orders'], "'module/orders' is under 'module/', where only a module's owner pushes its own branch, and no module 'orders' of yours exists"],
      [['HEAD:refs/heads/module/payments'], "no module 'payments' of yours exists"],
      [['v1'], 'deployers push branches only'],
      [['--delete', 'main'], "'main' is the base branch: it cannot be deleted"],
    ];
    for (const [args, message] of cases) {
      const stderr = await refusedPush(work, ['origin', ...args]);
      expect(stderr, args.join(' ')).toContain(message);
      expect(stderr).toContain('remote: Slipway refused refs/');
    }
    // All or nothing: an allowed branch in the same push is not applied either.
    const mixed = await refusedPush(work, ['origin', 'HEAD:refs/heads/feature/ok', 'HEAD:main']);
    expect(mixed).toContain('! [remote rejected] HEAD -> feature/ok (not pushed: refs/heads/main was refused, and a push is applied whole or not at all)');
    expect(refs()).toBe(before);
    await new Promise((r) => setTimeout(r, 200));
    expect(server.pushes.length).toBe(count);
  });

  it('a command git would read but a lax parser would skip (upper-case hex) is checked too', async () => {
    const main = git(backend, ['rev-parse', 'main']);
    const body = Buffer.concat([pktLine(`${main.toUpperCase()} ${main.toUpperCase()} refs/heads/main\0report-status\n`), FLUSH_PKT]);
    const res = await fetch(`${server.url}/git/backend.git/git-receive-pack`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEPLOYER_TOKEN}`, 'content-type': 'application/x-git-receive-pack-request' },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("ng refs/heads/main 'main' is the base branch");
    const bad = await fetch(`${server.url}/git/backend.git/git-receive-pack`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEPLOYER_TOKEN}`, 'content-type': 'application/x-git-receive-pack-request' },
      body: Buffer.concat([pktLine(`${main} ${main}  refs/heads/main\n`), FLUSH_PKT]),
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('not a git push');
    // gzip'd commands are inflated for the check.
    const gz = await fetch(`${server.url}/git/backend.git/git-receive-pack`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEPLOYER_TOKEN}`, 'content-type': 'application/x-git-receive-pack-request', 'content-encoding': 'gzip' },
      body: gzipSync(body),
    });
    expect(await gz.text()).toContain("ng refs/heads/main 'main' is the base branch");
  });

  it('an admin pushes the base branch; nobody deletes it', async () => {
    const adminWork = join(tmp.dir, 'admin-clone');
    await gitAsync(tmp.dir, ['clone', '-q', urlFor(TOKEN), adminWork]);
    writeFileSync(join(adminWork, 'release.md'), 'release\n');
    git(adminWork, ['add', '.']);
    git(adminWork, ['commit', '-qm', 'release']);
    await gitAsync(adminWork, ['push', '-q', 'origin', 'HEAD:main', 'HEAD:refs/heads/module/orders', 'HEAD:refs/tags/r1']);
    expect(git(backend, ['rev-parse', 'main'])).toBe(git(adminWork, ['rev-parse', 'HEAD']));
    const stderr = await refusedPush(adminWork, ['origin', '--delete', 'main']);
    expect(stderr).toContain("'main' is the base branch: it cannot be deleted");
    expect(git(backend, ['rev-parse', 'main'])).toBe(git(adminWork, ['rev-parse', 'HEAD']));
  });
});
