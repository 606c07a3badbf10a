/** The embedded local runner: `.slipway/pipeline.yaml` of pushes to the repositories Slipway hosts. */
import { join } from 'node:path';
import type { Db } from '../db/database.ts';
import type { DialectTraits } from '../db/dialect.ts';
import { DeploymentsStore } from '../deployments/deployments.store.ts';
import type { PushEvents } from '../git/index.ts';
import { JobQueue } from '../jobs/job-queue.ts';
import { LocalRunner, type ApplicationLookup, type RunnerLog } from './local-runner.ts';
import type { Sandbox } from './sandbox.ts';
import { ServiceSupervisor } from './services.ts';

export { LocalRunner, RUNNER_JOB, RELAUNCH_JOB, type RunJob } from './local-runner.ts';
export { ServiceSupervisor } from './services.ts';
export { Sandbox, sandboxHidden, type IsolationMode, type SandboxLimits, type SandboxOptions } from './sandbox.ts';
export { parsePipelineFile, PipelineFileError, PIPELINE_PATH, type Pipeline } from './pipeline-file.ts';

export interface CreateRunnerOptions {
  db: Db;
  traits: DialectTraits;
  dataDir: string;
  pushEvents: PushEvents;
  applications: ApplicationLookup;
  secret: () => string;
  env: Record<string, string | undefined>;
  log: RunnerLog;
  /** Pipelines and services run in it (built once in the composition root, shared with template rendering). */
  sandbox: Sandbox;
}

/** The runner as the server wires it: its own job queue, the hosted repositories, services on 127.0.0.1. */
export function createLocalRunner(o: CreateRunnerOptions): LocalRunner {
  // Said at start, not only at the first push: an operator sees at once why pipelines would be refused.
  void o.sandbox.check().then((r) => {
    if (!r.ok) o.log.error({}, `local runner: pipelines will be refused: the sandbox is unavailable (${r.reason})`);
    else if (o.sandbox.mode === 'none') o.log.warn({}, "SLIPWAY_RUNNER_ISOLATION=none: pipelines run unisolated, as the server's user (unsafe)");
  });
  const store = new DeploymentsStore(o.traits);
  return new LocalRunner({
    db: o.db,
    // Two pipelines at a time (a module's backend and frontend build side by side); the queue renews their leases.
    jobs: new JobQueue(o.db, o.traits, { onError: (err, job) => o.log.warn({ err, job: job?.id }, 'local runner job attempt failed') }),
    concurrency: 2,
    pushEvents: o.pushEvents,
    applications: o.applications,
    reposDir: join(o.dataDir, 'repos'),
    workDir: join(o.dataDir, 'runner'),
    // Ports and start commands kept in runner/services: a restart starts the services again (docs/runner.md).
    supervisor: new ServiceSupervisor({ sandbox: o.sandbox, stateDir: join(o.dataDir, 'runner', 'services') }),
    sandbox: o.sandbox,
    secret: o.secret,
    env: o.env,
    log: o.log,
    deployed: async (db, run) => Boolean(await store.targetOfCommit(db, { branch: run.branch, applicationId: run.app, commit: run.commit })),
    deploymentOutcome: async (db, run) =>
      (
        await db
          .selectFrom('deployment_targets as t')
          .innerJoin('deployments as d', 'd.id', 't.deployment_id')
          .select('t.status')
          .where('d.branch_name', '=', run.branch)
          .where('t.application_id', '=', run.app)
          .where('t.commit_sha', '=', run.commit)
          .where('t.status', 'in', ['success', 'failed'])
          .orderBy('t.id', 'desc')
          .limit(1)
          .executeTakeFirst()
      )?.status,
  });
}
