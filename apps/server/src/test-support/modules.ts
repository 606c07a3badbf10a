import { JobQueue } from '../jobs/job-queue.ts';
import type { BranchPublisher } from '../modules/branch-publisher.ts';
import { ModulesService } from '../modules/modules.service.ts';
import { ModulesStore } from '../modules/modules.store.ts';
import { GitRepositoryPacks } from '../modules/repository-packs.ts';
import { Sandbox, sandboxHidden } from '../runner/index.ts';
import type { TestServer } from './server.ts';

/**
 * A second modules service on a test server's database, wired as context.ts wires it but with its
 * own fast job queue and the given publisher (one that stalls or fails where a test needs it).
 * Returns the started queue; the caller stops it.
 */
export function modulesWithPublisher(s: TestServer, publisher: BranchPublisher): JobQueue {
  const { db, traits } = s.ctx.database;
  const jobs = new JobQueue(db, traits, { pollMs: 50, backoffMs: () => 100 });
  new ModulesService({
    db,
    store: new ModulesStore(),
    registry: s.ctx.applications,
    deployments: s.ctx.deployments,
    jobs,
    broadcaster: s.ctx.broadcaster,
    publisher,
    repositoryPacks: new GitRepositoryPacks({ dataDir: s.dataDir, env: {}, sandbox: new Sandbox({ ...s.ctx.config.sandbox, hidden: sandboxHidden(s.ctx.config) }) }),
    builds: s.ctx.runner,
  });
  jobs.start();
  return jobs;
}
