import { isTerminal, type DeploymentStatus } from '@slipway/contracts';
import type { Db } from '../db/database.ts';
import type { DialectTraits } from '../db/dialect.ts';
import type { Broadcaster } from './broadcaster.ts';
import type { DeploymentsService, ReportInput } from './deployments.service.ts';
import { DeploymentsStore, type DeploymentRow, type TargetRow } from './deployments.store.ts';

export interface TargetRef {
  deploymentId: number;
  applicationId: string;
}

export interface SlipwayReport {
  status: DeploymentStatus;
  message: string;
  logs?: string[];
  url?: string;
  /** The CI run attempt the report follows (a Dokploy confirmation's): ignored once a later one started. */
  runAttempt?: number;
}

export type TargetReportOutcome = 'changed' | 'ignored' | 'gone';

/**
 * Reports that Slipway itself makes about one known target (Dokploy's confirmation, the watchdog),
 * through `DeploymentsService.report` (naming the target by id) so events, sequence and broadcast
 * stay those of CI's reports.
 */
export class TargetReporter {
  private readonly store: DeploymentsStore;
  constructor(
    private readonly deps: { db: Db; traits: DialectTraits; deployments: DeploymentsService; broadcaster: Broadcaster; clock?: () => number },
  ) {
    this.store = new DeploymentsStore(deps.traits);
  }

  async find(db: Db, ref: TargetRef): Promise<{ deployment: DeploymentRow; target: TargetRow } | undefined> {
    const deployment = await this.store.get(db, ref.deploymentId);
    if (!deployment) return undefined;
    const target = (await this.store.targetsOf(db, deployment.id)).find((t) => t.application_id === ref.applicationId);
    return target ? { deployment, target } : undefined;
  }

  async report(ref: TargetRef, r: SlipwayReport): Promise<TargetReportOutcome> {
    const now = new Date((this.deps.clock ?? Date.now)()).toISOString();
    const result = await this.deps.db.transaction().execute(async (trx) => {
      const found = await this.find(trx, ref);
      if (!found) return 'gone' as const;
      const { deployment, target } = found;
      if (isTerminal(target.status)) return 'ignored' as const;
      const input: ReportInput = {
        targetId: target.id,
        applicationId: target.application_id,
        status: r.status,
        externalId: target.external_id ?? undefined,
        branch: deployment.branch_name ?? undefined,
        commitSha: target.commit_sha ?? undefined,
        moduleSlug: deployment.module_slug ?? undefined,
        message: r.message,
        logs: r.logs ?? [r.message],
        url: r.url,
        runAttempt: r.runAttempt,
      };
      return this.deps.deployments.report(trx, input, now);
    });
    if (typeof result === 'string') return result;
    if (result.kind === 'changed') this.deps.broadcaster.publish(result.change);
    return result.kind;
  }
}
