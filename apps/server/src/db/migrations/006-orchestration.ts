import { sql, type Kysely } from 'kysely';

/**
 * Durable publishing and race-free correlation (docs/publish.md, docs/runner.md):
 * - `deployments.publish_key` names the publish (module and version) that created a deployment,
 *   so the publish job creates it once, before anything is pushed, and a re-run finds it;
 * - `(external_id, application_id)` is unique: two instances that receive a run's first report
 *   cannot each create a deployment for it;
 * - `deployment_targets.run_attempt`: the CI run attempt a target follows (a re-run moves it on).
 */
export function orchestration() {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('deployments').addColumn('publish_key', 'varchar(200)').execute();
      await db.schema.createIndex('deployments_publish_key').on('deployments').column('publish_key').unique().execute();
      await db.schema.alterTable('deployment_targets').addColumn('run_attempt', 'integer').execute();
      // Rows written before the index may repeat a pair: correlation always took the newest, so the
      // older ones keep their history under a marked id.
      await sql`update deployment_targets set external_id = substr(external_id, 1, 178) || '#' || cast(id as varchar(20))
        where external_id is not null and exists (select 1 from deployment_targets n
          where n.external_id = deployment_targets.external_id and n.application_id = deployment_targets.application_id and n.id > deployment_targets.id)`.execute(db);
      await db.schema.dropIndex('deployment_targets_external').execute();
      await db.schema.createIndex('deployment_targets_external').on('deployment_targets').columns(['external_id', 'application_id']).unique().execute();
    },
  };
}
