import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, DIALECTS, startTestServer, type TestServer } from '../test-support/server.ts';
import { call } from '../test-support/http.ts';
import { ensureBareRepo } from './local-repos.ts';
import { git, gitAsync, tempDir } from './test-helpers.ts';

/**
 * The whole server, wired as in production: `deployers` from the applications file, module owners
 * from the modules API, pushes with the git CLI over `/git/<app>.git`.
 */

describe.each(DIALECTS)('hosted repository access through the real server on %s', (dialect) => {
  let s: TestServer;
  const people: Record<'admin' | 'dee' | 'mem', string> = { admin: '', dee: '', mem: '' };
  const tmp = tempDir('hosted-access');
  const dataDir = mkdtempSync(join(tmpdir(), 'slipway-hosted-data-'));
  const bare = join(dataDir, 'repos', 'backend.git');
  const url = (who: keyof typeof people) => `${s.url.replace('://', `://x:${people[who]}@`)}/git/backend.git`;
  const push = (work: string, who: keyof typeof people, refspec: string) =>
    gitAsync(work, ['push', url(who), refspec]).then(
      () => 'ok',
      (e: { stderr?: string }) => String(e.stderr),
    );

  beforeAll(async () => {
    await ensureBareRepo(join(dataDir, 'repos'), 'backend', { initialFiles: [{ path: 'README.md', content: '# backend\n' }] });
    writeFileSync(join(tmp.dir, 'apps.yaml'), `applications:\n  - id: backend\n    repoUrl: ${bare}\n    deployers: [Dee@Example.com]\n`);
    s = await startTestServer(dialect, { SLIPWAY_DATA_DIR: dataDir, SLIPWAY_CONFIG: join(tmp.dir, 'apps.yaml'), SLIPWAY_RUNNER: 'false', SLIPWAY_PUBLISH_WAIT_MS: '60000' });
    await s.ctx.auth.addUser('dee@example.com', 'dee-password', 'member');
    await s.ctx.auth.addUser('mem@example.com', 'mem-password', 'member');
    people.admin = await s.ctx.auth.createToken(ADMIN.email, 'git');
    people.dee = await s.ctx.auth.createToken('dee@example.com', 'git');
    people.mem = await s.ctx.auth.createToken('mem@example.com', 'git');
    // Each member's module, published by Slipway straight to the bare repository.
    for (const [who, name] of [['dee', 'Mine'], ['mem', 'Orders']] as const) {
      const r = await call(s.url, 'POST', '/api/admin/modules', { token: people[who], body: { name, fields: [{ name: 'title', type: 'string' }], applications: ['backend'] } });
      expect(r.status).toBe(201);
    }
  });
  afterAll(async () => {
    await s?.close();
    tmp.cleanup();
  });

  it('a deployer clones and pushes their own module branch; not the base branch, not another member’s module branch', async () => {
    const work = join(tmp.dir, `dee-${dialect}`);
    await gitAsync(tmp.dir, ['clone', '-q', url('dee'), work]);
    git(work, ['checkout', '-q', 'module/mine']);
    writeFileSync(join(work, 'tweak.ts'), 'tweak();\n');
    git(work, ['add', '.']);
    git(work, ['commit', '-qm', 'tweak']);
    const before = { main: git(bare, ['rev-parse', 'main']), orders: git(bare, ['rev-parse', 'module/orders']) };
    expect(await push(work, 'dee', 'HEAD:refs/heads/module/mine')).toBe('ok');
    expect(git(bare, ['rev-parse', 'module/mine'])).toBe(git(work, ['rev-parse', 'HEAD']));
    expect(await push(work, 'dee', '+HEAD:refs/heads/module/orders')).toContain("no module 'orders' of yours exists");
    expect(await push(work, 'dee', '+HEAD:refs/heads/main')).toContain("'main' is the base branch: only admins may push to it");
    expect({ main: git(bare, ['rev-parse', 'main']), orders: git(bare, ['rev-parse', 'module/orders']) }).toEqual(before);
  });

  it('a member who is not a deployer cannot clone; an admin pushes the base branch', async () => {
    const refused = await gitAsync(tmp.dir, ['clone', '-q', url('mem'), join(tmp.dir, `mem-${dialect}`)]).catch((e: { stderr?: string }) => String(e.stderr));
    expect(refused).toContain('remote: mem@example.com may not fetch or push backend.git');
    const work = join(tmp.dir, `admin-${dialect}`);
    await gitAsync(tmp.dir, ['clone', '-q', url('admin'), work]);
    git(work, ['commit', '-q', '--allow-empty', '-m', 'release']);
    expect(await push(work, 'admin', 'HEAD:refs/heads/main')).toBe('ok');
    expect(git(bare, ['rev-parse', 'main'])).toBe(git(work, ['rev-parse', 'HEAD']));
  });
});
