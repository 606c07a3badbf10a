/**
 * Issue 12, item 5: deleting a module stops the services its branch runs and, when asked
 * (`?deleteBranches=true`), deletes its branch in each target repository. Only its owner (or an
 * admin) can: another member's delete is a 404 that changes nothing.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../test-support/http.ts';
import { DIALECTS, startTestServer, type TestServer } from '../test-support/server.ts';

const mod = (name: string) => ({ name, fields: [{ name: 'title', type: 'string', required: true }], applications: ['backend', 'frontend'] });

describe.each(DIALECTS)('deleting a module on %s', (dialect) => {
  let s: TestServer;
  let alice: string;
  let mallory: string;
  const heads = (app: string) =>
    execFileSync('git', ['-C', join(s.dataDir, 'repos', `${app}.git`), 'for-each-ref', '--format=%(refname)', 'refs/heads/module/'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  const up = async (url: string) => fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);

  /** Creates the module as alice and waits for its deployment to succeed; the targets' service URLs. */
  async function deployed(name: string, slug: string): Promise<string[]> {
    const r = await call(s.url, 'POST', '/api/admin/modules', { token: alice, body: mod(name) });
    expect([201, 202]).toContain(r.status);
    const db = s.ctx.database.db;
    for (let i = 0; i < 600; i++) {
      const d = await db.selectFrom('deployments').select(['id', 'status']).where('module_slug', '=', slug).executeTakeFirst();
      if (d && ['success', 'failed', 'cancelled'].includes(d.status)) {
        expect(d.status).toBe('success');
        const targets = await db.selectFrom('deployment_targets').select('url').where('deployment_id', '=', d.id).execute();
        return targets.map((t) => t.url!).filter(Boolean);
      }
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error(`${slug} never finished deploying`);
  }

  beforeAll(async () => {
    s = await startTestServer(dialect, { SLIPWAY_DEMO: 'true' });
    await s.ctx.auth.addUser('alice@example.com', 'alice-password', 'member');
    await s.ctx.auth.addUser('mallory@example.com', 'mallory-password', 'member');
    alice = await s.ctx.auth.createToken('alice@example.com', 't');
    mallory = await s.ctx.auth.createToken('mallory@example.com', 't');
  }, 60_000);
  afterAll(async () => {
    await s?.close();
  });

  it('with deleteBranches: removes the branch from every hosted repository and stops the services; others cannot', async () => {
    const urls = await deployed('Parcels', 'parcels');
    expect(urls).toHaveLength(2);
    for (const u of urls) expect(await up(u)).toBe(true);
    expect(heads('backend')).toEqual(['refs/heads/module/parcels']);

    const other = await call(s.url, 'DELETE', '/api/admin/modules/parcels?deleteBranches=true', { token: mallory });
    expect(other.status).toBe(404);
    const bad = await call(s.url, 'DELETE', '/api/admin/modules/parcels?deleteBranches=yes', { token: alice });
    expect(bad.status).toBe(400);
    expect(heads('backend')).toEqual(['refs/heads/module/parcels']);
    for (const u of urls) expect(await up(u)).toBe(true);

    const r = await call(s.url, 'DELETE', '/api/admin/modules/parcels?deleteBranches=true', { token: alice });
    expect(r.status).toBe(200);
    expect(r.body.deletedBranches.map((b: { application: string; branch: string }) => [b.application, b.branch]).sort()).toEqual([
      ['backend', 'module/parcels'],
      ['frontend', 'module/parcels'],
    ]);
    expect(heads('backend')).toEqual([]);
    expect(heads('frontend')).toEqual([]);
    for (const u of urls) expect(await up(u)).toBe(false);
    expect((await call(s.url, 'GET', '/api/admin/modules/parcels', { token: alice })).status).toBe(404);
  }, 180_000);

  it('without deleteBranches: keeps the branches, still stops the services', async () => {
    const urls = await deployed('Crates', 'crates');
    const r = await call(s.url, 'DELETE', '/api/admin/modules/crates', { token: alice });
    expect(r.status).toBe(204);
    expect(heads('backend')).toEqual(['refs/heads/module/crates']);
    for (const u of urls) expect(await up(u)).toBe(false);
  }, 180_000);
});
