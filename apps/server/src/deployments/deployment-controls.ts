import { isTerminal } from '@slipway/contracts';
import type { ApplicationConfig } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import type { Broadcaster } from './broadcaster.ts';
import type { DeploymentsService } from './deployments.service.ts';
import type { Viewer } from './deployments.store.ts';

/** Stops a CI run of one target (the local runner's job); false when it runs elsewhere or has ended. */
export interface RunControl {
  cancelRun(db: Db, app: ApplicationConfig, run: RunRef, reason: string): Promise<boolean>;
  /** Queues a new run of the commit for `run.deploymentId`; false when the repository is not Slipway's. */
  rerun(db: Db, app: ApplicationConfig, run: RunRef): Promise<boolean>;
}

interface RunRef {
  branch: string;
  commit: string;
  deploymentId: number;
}

export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface DeploymentControlsDeps {
  db: Db;
  deployments: DeploymentsService;
  broadcaster: Broadcaster;
  applications: { get(id: string): ApplicationConfig | undefined };
  runner?: RunControl;
  clock?: () => number;
}

/**
 * The controls on a running deployment (issue #12, item 6). Visibility is the deployments
 * service's: its owner and admins; anyone else gets the 404 of a deployment they cannot see.
 */
export class DeploymentControls {
  constructor(private readonly d: DeploymentControlsDeps) {}

  /**
   * Cancel: every unfinished target ends `cancelled` and its local-runner run is ended, in one
   * transaction, so a restart neither resumes the run nor forgets the cancel. CI elsewhere is not
   * stopped here (docs/web.md): its later reports are ignored, the target being final.
   */
  async cancel(viewer: Viewer & { email?: string }, id: number) {
    const now = new Date((this.d.clock ?? Date.now)()).toISOString();
    const changes = await this.d.db.transaction().execute(async (trx) => {
      const d = await this.d.deployments.detail(trx, viewer, id);
      if (!d) throw new ControlError(404, 'not_found', `no deployment ${id} that you can see`);
      if (isTerminal(d.status)) throw new ControlError(409, 'finished', `deployment ${id} is ${d.status} already`);
      const reason = `Cancelled${viewer.email ? ` by ${viewer.email}` : ''}`;
      for (const t of d.targets) {
        const app = this.d.applications.get(t.application_id);
        if (isTerminal(t.status) || !app || !t.commit_sha || !d.branch_name) continue;
        await this.d.runner?.cancelRun(trx, app, { branch: d.branch_name, commit: t.commit_sha, deploymentId: id }, reason);
      }
      return this.d.deployments.failUnfinished(trx, id, reason, now, 'cancelled');
    });
    for (const c of changes) await this.d.broadcaster.publish(c);
    return (await this.d.deployments.detail(this.d.db, viewer, id))!;
  }

  /** Retry: a NEW deployment of the failed targets of finished deployment `id`, same commits, through the pipeline. */
  async retry(viewer: Viewer & { email?: string }, id: number) {
    const d = await this.d.deployments.detail(this.d.db, viewer, id);
    if (!d) throw new ControlError(404, 'not_found', `no deployment ${id} that you can see`);
    if (!isTerminal(d.status)) throw new ControlError(409, 'running', `deployment ${id} is still ${d.status}: cancel it first`);
    const failed = d.targets.filter((t) => t.status === 'failed');
    if (!failed.length) throw new ControlError(409, 'nothing_failed', `deployment ${id} has no failed application to retry`);
    return this.rerun(viewer, d, failed, `Retry of deployment ${id}`);
  }

  /** Redeploy: a NEW deployment of the module's current commits (its latest deployment's), through the pipeline. */
  async redeploy(viewer: Viewer & { email?: string }, slug: string) {
    const d = await this.d.deployments.statusBySlug(this.d.db, viewer, slug);
    if (!d) throw new ControlError(404, 'not_found', `no deployment of module '${slug}' that you can see`);
    if (!isTerminal(d.status)) throw new ControlError(409, 'running', `module '${slug}' is deploying now (deployment ${d.deployment_id})`);
    return this.rerun(viewer, d, d.targets, `Redeploy of ${slug}`);
  }

  private async rerun(viewer: Viewer & { email?: string }, from: Deployment, targets: Deployment['targets'], what: string) {
    const branch = from.branch_name;
    const runs = targets.map((t) => ({ t, app: this.d.applications.get(t.application_id) }));
    const missing = runs.filter((r) => !r.app || !r.t.commit_sha || !branch);
    if (missing.length) throw new ControlError(409, 'no_commit', `${missing.map((r) => r.t.application_id).join(', ')}: no known commit or application to build again`);
    const now = new Date((this.d.clock ?? Date.now)()).toISOString();
    const message = `${what}${viewer.email ? ` by ${viewer.email}` : ''}; waiting for the pipeline`;
    const change = await this.d.db.transaction().execute(async (trx) => {
      const change = await this.d.deployments.create(
        trx,
        { moduleSlug: from.module_slug!, branch: branch!, commit: from.commit_sha, ownerId: from.owner_id, targets: runs.map((r) => ({ applicationId: r.t.application_id, commitSha: r.t.commit_sha })), message },
        now,
      );
      const deploymentId = Number(change.deploymentId);
      for (const r of runs) {
        const queued = await this.d.runner?.rerun(trx, r.app!, { branch: branch!, commit: r.t.commit_sha!, deploymentId });
        // Rolled back: Slipway can start only its own runner's pipelines (docs/web.md, "Controls").
        if (!queued) throw new ControlError(409, 'not_rerunnable', `${r.t.application_id} is built by CI outside Slipway: re-run it there`);
      }
      return change;
    });
    await this.d.broadcaster.publish(change);
    return (await this.d.deployments.detail(this.d.db, viewer, Number(change.deploymentId)))!;
  }
}

type Deployment = NonNullable<Awaited<ReturnType<DeploymentsService['detail']>>>;
