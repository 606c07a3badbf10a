import type { Kysely } from 'kysely';

/**
 * Claims that carry their owner (jobs/job-queue.ts): a job is renewed, completed, failed or
 * retried only by the worker whose claim it is (`owner` and `attempts` together name one claim),
 * so a worker that lost its lease cannot overwrite the result of the one that took the job over.
 * Workers claim per kind of job: the index keeps that look-up a range scan.
 */
export function jobClaims() {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('jobs').addColumn('owner', 'varchar(200)').execute();
      await db.schema.createIndex('jobs_claim').on('jobs').columns(['type', 'status', 'run_at']).execute();
    },
  };
}
