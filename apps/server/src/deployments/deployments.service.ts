import { moduleSlugFromBranch, type DeploymentStatus } from '@slipway/contracts';
import type { Db } from '../db/database.ts';
import type { DeploymentChange } from './broadcaster.ts';
import { deploymentMessage, summarize } from './deployment-summary.ts';
import { eventView, logLines, toPayload, toView, type DeploymentView } from './deployment-view.ts';
import { DeploymentsStore, targetColumns, targetStateOf, type DeploymentRow, type ListFilter, type TargetRow, type Viewer } from './deployments.store.ts';
import { applyReport, newTargetState, type TargetReport } from './target-state.ts';

/** A CI report about one application, after its status word was mapped. */
export interface ReportInput extends TargetReport {
  applicationId: string;
  /** Slipway's own reports (Dokploy confirmation, watchdog) name their target directly. */
  targetId?: number;
  branch?: string;
  moduleSlug?: string;
  logs: string[];
}

export type ReportResult =
  | { kind: 'changed'; deploymentId: number; change: DeploymentChange }
  | { kind: 'ignored'; deploymentId: number; reason: string };

export interface NewDeployment {
  moduleSlug: string;
  branch: string;
  commit: string | null;
  ownerId: number | null;
  targets: { applicationId: string; commitSha: string | null }[];
  message?: string;
  logs?: string[];
}

/** Who owns a deployment that CI started on its own (no module publish): the module's owner. */
export type OwnerResolver = (db: Db, moduleSlug: string) => Promise<number | null>;

const RECENT_EVENTS = 50;

/**
 * The deployment domain's I/O side: correlation of reports to targets, the status machine applied
 * under a lock, one event per accepted change. Callers pass a transaction and broadcast the
 * returned change only after it committed.
 */
export class DeploymentsService {
  constructor(
    private readonly store: DeploymentsStore,
    private readonly resolveOwner: OwnerResolver = async () => null,
  ) {}

  async report(db: Db, input: ReportInput, now: string): Promise<ReportResult> {
    const found = await this.correlate(db, input, now);
    // A deployment created just now in this transaction is already known and held; otherwise read
    // it under the lock: another writer may have moved the target since correlation.
    const deployment = found.created ?? (await this.store.lockDeployment(db, found.target.deployment_id));
    if (!deployment) throw new Error(`deployment ${found.target.deployment_id} vanished`);
    const targets = found.created ? [found.target] : await this.store.targetsOf(db, deployment.id);
    const target = targets.find((t) => t.id === found.target.id)!;
    const outcome = applyReport(targetStateOf(target), input, now);
    if (outcome.kind === 'ignored') return { kind: 'ignored', deploymentId: deployment.id, reason: outcome.reason };

    await this.store.updateTarget(db, target.id, outcome.next, now);
    const nextTargets = targets.map((t) => (t.id === target.id ? { ...t, ...targetColumns(outcome.next) } : t));
    const change = await this.commitChange(db, deployment, nextTargets, {
      targetId: target.id,
      status: outcome.next.status,
      message: input.message ?? null,
      logs: input.logs,
      url: outcome.next.url,
      now,
    });
    return { kind: 'changed', deploymentId: deployment.id, change };
  }

  /** A deployment Slipway started itself (a module publish): pending, one target per application. */
  async create(db: Db, d: NewDeployment, now: string): Promise<DeploymentChange> {
    const deployment = await this.store.insertDeployment(db, { moduleSlug: d.moduleSlug, branch: d.branch, commit: d.commit, ownerId: d.ownerId, now });
    const targets: TargetRow[] = [];
    for (const t of d.targets) {
      targets.push(await this.store.insertTarget(db, deployment.id, t.applicationId, { ...newTargetState(), commitSha: t.commitSha }, now));
    }
    return this.commitChange(db, deployment, targets, {
      targetId: null,
      status: 'pending',
      message: d.message ?? `Branch ${d.branch} pushed; waiting for CI`,
      logs: d.logs ?? [],
      url: null,
      now,
    });
  }

  private async correlate(db: Db, input: ReportInput, now: string): Promise<{ target: TargetRow; created?: DeploymentRow }> {
    if (input.targetId !== undefined) {
      const byTarget = await this.store.getTarget(db, input.targetId);
      if (!byTarget) throw new Error(`deployment target ${input.targetId} does not exist`);
      return { target: byTarget };
    }
    if (input.externalId) {
      const byId = await this.store.findTargetByExternalId(db, input.externalId, input.applicationId);
      if (byId) return { target: byId };
    }
    if (input.branch) {
      const open = await this.store.findOpenTarget(db, input.branch, input.applicationId, input.commitSha);
      if (open) return { target: open };
    }
    const slug = input.moduleSlug ?? moduleSlugFromBranch(input.branch) ?? null;
    const created = await this.store.insertDeployment(db, {
      moduleSlug: slug,
      branch: input.branch ?? null,
      commit: input.commitSha ?? null,
      ownerId: slug ? await this.resolveOwner(db, slug) : null,
      now,
    });
    return { target: await this.store.insertTarget(db, created.id, input.applicationId, newTargetState(), now), created };
  }

  private async commitChange(
    db: Db,
    deployment: DeploymentRow,
    targets: TargetRow[],
    e: { targetId: number | null; status: DeploymentStatus; message: string | null; logs: string[]; url: string | null; now: string },
  ): Promise<DeploymentChange> {
    const summary = summarize(targets.map(targetStateOf));
    const sequence = deployment.last_sequence + 1;
    const firstCommit = targets.find((t) => t.commit_sha)?.commit_sha ?? null;
    const updated: DeploymentRow = {
      ...deployment,
      status: summary.status,
      progress: summary.progress,
      started_at: summary.startedAt,
      finished_at: summary.finishedAt,
      message: deploymentMessage(summary.status, deployment.module_slug, e.message ?? deployment.message),
      url: e.url ?? deployment.url,
      commit_sha: deployment.commit_sha ?? firstCommit,
      last_sequence: sequence,
      updated_at: e.now,
    };
    const { id: _id, ...patch } = updated;
    await this.store.updateDeployment(db, deployment.id, patch);
    const event = await this.store.appendEvent(db, { deploymentId: deployment.id, sequence, targetId: e.targetId, status: e.status, message: e.message, logs: e.logs, now: e.now });
    // The first event of a deployment is its whole history: no need to read it back.
    const events = sequence === 1 ? [event] : await this.store.recentEvents(db, deployment.id, RECENT_EVENTS);
    return { deploymentId: String(deployment.id), ownerId: deployment.owner_id, sequence, payload: toPayload(updated, targets, events) };
  }

  /** The deployment a publish of this commit created already (a retried publish job reuses it). */
  async findPublished(db: Db, moduleSlug: string, branch: string, commit: string | null): Promise<number | undefined> {
    return (await this.store.findByCommit(db, moduleSlug, branch, commit))?.id;
  }

  // ---- reads, with visibility ----

  async active(db: Db, viewer: Viewer): Promise<DeploymentView[]> {
    return this.views(db, await this.store.active(db, viewer));
  }

  async list(db: Db, viewer: Viewer, f: ListFilter) {
    const { rows, total } = await this.store.list(db, viewer, f);
    return { data: await this.views(db, rows), meta: { page: f.page, per_page: f.perPage, total } };
  }

  async detail(db: Db, viewer: Viewer, id: number) {
    const d = await this.store.getVisible(db, viewer, id);
    return d ? this.withHistory(db, d) : undefined;
  }

  async statusBySlug(db: Db, viewer: Viewer, slug: string) {
    const d = await this.store.latestVisibleBySlug(db, viewer, slug);
    return d ? this.withHistory(db, d) : undefined;
  }

  private async withHistory(db: Db, d: DeploymentRow) {
    const [targets, events] = await Promise.all([this.store.targetsOf(db, d.id), this.store.recentEvents(db, d.id, RECENT_EVENTS)]);
    return { ...toView(d, targets, events), all_logs: logLines(events), events: events.map(eventView) };
  }

  private async views(db: Db, rows: DeploymentRow[]): Promise<DeploymentView[]> {
    const targets = await this.store.targetsOfMany(db, rows.map((r) => r.id));
    return rows.map((r) => toView(r, targets.filter((t) => t.deployment_id === r.id)));
  }
}
