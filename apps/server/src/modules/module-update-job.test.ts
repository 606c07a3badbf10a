/**
 * Issue 13: the publish job merges again with what the branch holds when it runs. A conflicting edit
 * pushed after the update was checked (and accepted) fails the deployment with the conflict, and
 * Slipway pushes nothing; the same race with `onConflict: 'ours'` keeps the person's file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBareRepo } from '../git/index.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { eventually } from '../test-support/dokploy-stub.ts';
import { call } from '../test-support/http.ts';
import { modulesWithPublisher } from '../test-support/modules.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import type { BranchPublisher } from './branch-publisher.ts';
import { GitBranchPublisher } from './git-branch-publisher.ts';

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-C', cwd, '-c', 'user.name=Ann', '-c', 'user.email=ann@example.com', ...args], { encoding: 'utf8' }).trim();
const MODEL = 'src/app/features/nuts/nuts.model.ts';
const nuts = (fields: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({ name: 'Nuts', applications: ['backend'], fields, ...extra });
const TITLE = { name: 'title', type: 'string', required: true };

describe('the publish job merges with the branch as it is when it runs', () => {
  let s: TestServer;
  let jobs: JobQueue;
  let alice: string;
  let bare: string;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-module-update-job-'));
  /** Runs once, just before the job's next read of the branch: a person pushing in between. */
  let beforeJobRead: (() => void) | undefined;
  let pushes = 0;
  const head = () => git(bare, 'rev-parse', 'refs/heads/module/nuts');
  let n = 0;
  function edit(change: (work: string) => void): string {
    const work = join(dir, `work-${++n}`);
    execFileSync('git', ['clone', '-q', '--branch', 'module/nuts', bare, work]);
    change(work);
    git(work, 'commit', '-qam', 'hand edit');
    git(work, 'push', '-q', 'origin', 'module/nuts');
    return head();
  }
  const status = async (id: number) => (await s.ctx.database.db.selectFrom('deployments').select(['status', 'message']).where('id', '=', id).executeTakeFirst())!;

  beforeAll(async () => {
    const repos = join(dir, 'remotes');
    await ensureBareRepo(repos, 'backend', { initialFiles: [{ path: 'README.md', content: '# backend\n' }] });
    bare = join(repos, 'backend.git');
    writeFileSync(join(dir, 'apps.yaml'), `applications:\n  - id: backend\n    repoUrl: ${bare}\n    templatePack: angular\n`);
    s = await startTestServer('sqlite', { SLIPWAY_CONFIG: join(dir, 'apps.yaml') });
    await s.ctx.jobs.stop();
    const real = new GitBranchPublisher({ dataDir: s.dataDir, env: {} });
    const publisher: BranchPublisher = {
      deleteBranch: (app, branch) => real.deleteBranch(app, branch),
      publish: (app, req) => (pushes++, real.publish(app, req)),
      readFiles: (app, branch, paths, more) => {
        const hook = beforeJobRead;
        beforeJobRead = undefined;
        hook?.();
        return real.readFiles(app, branch, paths, more);
      },
    };
    jobs = modulesWithPublisher(s, publisher);
    await s.ctx.auth.addUser('alice@example.com', 'alice-password', 'member');
    alice = await s.ctx.auth.createToken('alice@example.com', 't');
  }, 60_000);
  afterAll(async () => {
    await jobs?.stop();
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a conflict that appears after the check fails the deployment and pushes nothing; with ours, the edit stays', { timeout: 120_000 }, async () => {
    const created = await call(s.url, 'POST', '/api/admin/modules', { token: alice, body: nuts([TITLE]) });
    expect(created.status).toBe(202);
    await eventually(async () => (await status(created.body.deployment.deployment_id)).status !== 'pending' || pushes > 0, 'created');
    await eventually(async () => { try { return head().length === 40; } catch { return false; } }, 'branch pushed');

    const line = '  title: string;';
    let edited = '';
    beforeJobRead = () => {
      edited = edit((w) => writeFileSync(join(w, MODEL), readFileSync(join(w, MODEL), 'utf8').replace(line, '  title: string; // by hand')));
    };
    const pushesBefore = pushes;
    const r = await call(s.url, 'PUT', '/api/admin/modules/nuts', { token: alice, body: nuts([{ ...TITLE, required: false }]) });
    expect(r.status).toBe(200);
    const id = r.body.deployment.deployment_id;
    const failed = await eventually(async () => {
      const d = await status(id);
      return d.status === 'failed' ? d : undefined;
    }, 'the update failed');
    expect(failed.message).toMatch(/conflicts with edits on the module branch: backend: src\/app\/features\/nuts\/nuts\.model\.ts \(content\)/);
    expect(pushes).toBe(pushesBefore);
    expect(head()).toBe(edited);

    // The same race, with onConflict: ours. The person's file stays; the rest of the update goes in.
    beforeJobRead = () => {
      edited = edit((w) => writeFileSync(join(w, MODEL), readFileSync(join(w, MODEL), 'utf8').replace('// by hand', '// by hand, again')));
    };
    const again = await call(s.url, 'PUT', '/api/admin/modules/nuts', { token: alice, body: { ...nuts([TITLE, { name: 'size', type: 'integer' }]), onConflict: 'ours' } });
    expect(again.status).toBe(200);
    await eventually(async () => head() !== edited, 'the update pushed');
    // The conflicting file is the person's, whole; the other files take the new field.
    expect(git(bare, 'show', `module/nuts:${MODEL}`)).toBe(git(bare, 'show', `${edited}:${MODEL}`));
    expect(git(bare, 'show', `module/nuts:src/app/features/nuts/nut-form.page.ts`)).toContain('size');
  });
});
