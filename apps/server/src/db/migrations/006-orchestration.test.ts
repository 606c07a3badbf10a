import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { unmigratedDatabase } from '../../test-support/migration-db.ts';
import { DIALECTS } from '../../test-support/server.ts';

/** Migration 006 on a database written before it: targets that repeat a run keep their history. */
describe.each(DIALECTS)('migration 006 on %s', (dialect) => {
  const oldDb = unmigratedDatabase(dialect);

  it('keeps the newest target of a repeated (external id, application), renames the older, then refuses repeats', async () => {
    const { h, migrator } = oldDb;
    const before = await migrator.migrateTo('005-job-claims');
    expect(before.error).toBeUndefined();
    // The tables as they were before 006 (the typed schema has its columns already).
    const db = h.db as unknown as Kysely<any>;
    const now = new Date().toISOString();
    const deployment = async () =>
      (await db.insertInto('deployments').values({ module_slug: null, branch_name: 'module/x', commit_sha: null, status: 'pending', progress: 0, message: null, url: null, owner_id: null, last_sequence: 0, created_at: now, updated_at: now, started_at: null, finished_at: null }).returning('id').executeTakeFirstOrThrow()).id as number;
    const target = async (deploymentId: number, externalId: string) =>
      (await db.insertInto('deployment_targets').values({ deployment_id: deploymentId, application_id: 'backend', status: 'failed', progress: 100, external_id: externalId, commit_sha: null, url: null, run_url: null, message: null, created_at: now, updated_at: now, started_at: null, finished_at: null }).returning('id').executeTakeFirstOrThrow()).id as number;
    const older = await target(await deployment(), 'gh-1');
    const newer = await target(await deployment(), 'gh-1');
    const other = await target(await deployment(), 'gh-2');

    const after = await migrator.migrateToLatest();
    expect(after.error).toBeUndefined();
    const rows = await h.db.selectFrom('deployment_targets').select(['id', 'external_id', 'run_attempt']).orderBy('id').execute();
    expect(rows).toEqual([
      { id: older, external_id: `gh-1#${older}`, run_attempt: null },
      { id: newer, external_id: 'gh-1', run_attempt: null },
      { id: other, external_id: 'gh-2', run_attempt: null },
    ]);
    const fresh = await deployment();
    await expect(target(fresh, 'gh-2')).rejects.toThrow();
    expect((await h.db.selectFrom('deployments').select('publish_key').where('id', '=', fresh).executeTakeFirstOrThrow()).publish_key).toBeNull();
  });
});
