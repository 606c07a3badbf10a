import type { Kysely } from 'kysely';
import type { DialectTraits } from '../dialect.ts';

/**
 * Preview environments (docs/previews.md): one row per module and application, created by the
 * module's first successful deployment, renewed by each one, torn down when the module is deleted,
 * its branch merged, or its TTL passes without a deploy. Kept after teardown (state `torn_down`)
 * so the page can say what happened, until the next deploy brings it back. And `git_host_deployments`:
 * the GitHub deployment Slipway created for each deployment target, and the state it last sent.
 */
export function previews(traits: DialectTraits) {
  return {
    async up(db: Kysely<unknown>) {
      await traits
        .idColumn(db.schema.createTable('previews'))
        .addColumn('module_slug', 'varchar(100)', (c) => c.notNull())
        .addColumn('application_id', 'varchar(100)', (c) => c.notNull())
        .addColumn('branch', 'varchar(255)', (c) => c.notNull())
        /** `local` (the local runner's service behind /preview/…) or `dokploy` (a Dokploy application). */
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('state', 'varchar(16)', (c) => c.notNull())
        .addColumn('url', 'text')
        /** The Dokploy application's id (kind dokploy). */
        .addColumn('external_id', 'varchar(200)')
        .addColumn('deployment_id', 'integer')
        .addColumn('commit_sha', 'varchar(64)')
        .addColumn('message', 'text')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('deployed_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('torn_down_at', 'varchar(32)')
        .execute();
      await db.schema.createIndex('previews_module_app').on('previews').columns(['module_slug', 'application_id']).unique().execute();
      await db.schema.createIndex('previews_state').on('previews').columns(['state', 'deployed_at']).execute();
      // Feedback to GitHub (docs/previews.md, "The git host"): the GitHub deployment of each target, and what it was last told.
      await traits
        .idColumn(db.schema.createTable('git_host_deployments'))
        .addColumn('deployment_id', 'integer', (c) => c.notNull())
        .addColumn('application_id', 'varchar(100)', (c) => c.notNull())
        .addColumn('github_deployment_id', 'varchar(40)')
        .addColumn('last_state', 'varchar(16)')
        .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
        .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('git_host_deployments_target').on('git_host_deployments').columns(['deployment_id', 'application_id']).unique().execute();
    },
  };
}
