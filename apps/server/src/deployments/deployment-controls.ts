import { isTerminal } from '@slipway/contracts';
import type { ApplicationConfig } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import type { Broadcaster } from './broadcaster.ts';
import type { DeploymentsService } from './deployments.service.ts';
import type { Viewer } from './deployments.store.ts';

/** Stops a CI run of one target (the local runner's job); false when it runs elsewhere or has ended. */
export interface RunCanceller {
  cancelRun(db: Db, app: ApplicationConfig, branch: string, commit: string, reason: string): Promise<boolean>;
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
  runner?: RunCanceller;
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
        await this.d.runner?.cancelRun(trx, app, d.branch_name, t.commit_sha, reason);
      }
      return this.d.deployments.failUnfinished(trx, id, reason, now, 'cancelled');
    });
    for (const c of changes) await this.d.broadcaster.publish(c);
    return (await this.d.deployments.detail(this.d.db, viewer, id))!;
  }
}
