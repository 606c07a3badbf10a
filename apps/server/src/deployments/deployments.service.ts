import { moduleSlugFromBranch, type DeploymentStatus } from '@slipway/contracts';
import type { Db } from '../db/database.ts';
import type { DeploymentChange } from './broadcaster.ts';
import { deploymentMessage, summarize } from './deployment-summary.ts';
import { eventView, logLines, toPayload, toView, type DeploymentView } from './deployment-view.ts';
import { DeploymentsStore, targetColumns, targetStateOf, type DeploymentRow, type ListFilter, type TargetRow, type Viewer } from './deployments.store.ts';
import { applyReport, newTargetState, type TargetReport, type TargetState } from './target-state.ts';

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
    const found = await this.correlate(db, input);
    if (!found) return this.startFromReport(db, input, now);
    // Read under the lock: another writer may have moved the target since correlation.
    const deployment = await this.store.lockDeployment(db, found.deployment_id);
    if (!deployment) throw new Error(`deployment ${found.deployment_id} vanished`);
    const targets = await this.store.targetsOf(db, deployment.id);
    const target = targets.find((t) => t.id === found.id)!;
    const outcome = applyReport(targetStateOf(target), input, now);
    if (outcome.kind === 'ignored') return { kind: 'ignored', deploymentId: deployment.id, reason: outcome.reason };

    await this.store.updateTarget(db, target.id, outcome.next, now);
    const nextTargets = targets.map((t) => (t.id === target.id ? { ...t, ...targetColumns(outcome.next), updated_at: now } : t));
    const e = { status: outcome.next.status, message: input.message ?? null, logs: input.logs, url: outcome.next.url, now };
    const next = nextRow(deployment, nextTargets, e);
    await this.store.updateDeployment(db, next);
    const change = await this.appendChange(db, next, nextTargets, { ...e, targetId: target.id });
    return { kind: 'changed', deploymentId: deployment.id, change };
  }

  /** A deployment Slipway started itself (a module publish): pending, one target per application. */
  async create(db: Db, d: NewDeployment, now: string): Promise<DeploymentChange> {
    const states = d.targets.map((t) => ({ applicationId: t.applicationId, state: { ...newTargetState(), commitSha: t.commitSha } }));
    const e = { status: 'pending' as const, message: d.message ?? `Branch ${d.branch} pushed; waiting for CI`, logs: d.logs ?? [], url: null, now };
    const { deployment, targets } = await this.insertNew(db, { moduleSlug: d.moduleSlug, branch: d.branch, commit: d.commit, ownerId: d.ownerId }, states, e, now);
    return this.appendChange(db, deployment, targets, { ...e, targetId: null });
  }

  /** The target a report is about: named, then by CI's id, then the newest open one of its branch. */
  private async correlate(db: Db, input: ReportInput): Promise<TargetRow | undefined> {
    if (input.targetId !== undefined) {
      const byTarget = await this.store.getTarget(db, input.targetId);
      if (!byTarget) throw new Error(`deployment target ${input.targetId} does not exist`);
      return byTarget;
    }
    const byId = input.externalId ? await this.store.findTargetByExternalId(db, input.externalId, input.applicationId) : undefined;
    return byId ?? (input.branch ? await this.store.findOpenTarget(db, input.branch, input.applicationId, input.commitSha) : undefined);
  }

  /**
   * CI reported on a deployment Slipway did not start: a new one, written directly in the state
   * the report gives it (three inserts instead of inserts then updates).
   */
  private async startFromReport(db: Db, input: ReportInput, now: string): Promise<ReportResult> {
    const slug = input.moduleSlug ?? moduleSlugFromBranch(input.branch) ?? null;
    const draft = { moduleSlug: slug, branch: input.branch ?? null, commit: input.commitSha ?? null, ownerId: slug ? await this.resolveOwner(db, slug) : null };
    const outcome = applyReport(newTargetState(), input, now);
    if (outcome.kind === 'ignored') {
      const { deployment } = await this.insertNew(db, draft, [{ applicationId: input.applicationId, state: newTargetState() }], null, now);
      return { kind: 'ignored', deploymentId: deployment.id, reason: outcome.reason };
    }
    const e = { status: outcome.next.status, message: input.message ?? null, logs: input.logs, url: outcome.next.url, now };
    const { deployment, targets } = await this.insertNew(db, draft, [{ applicationId: input.applicationId, state: outcome.next }], e, now);
    const change = await this.appendChange(db, deployment, targets, { ...e, targetId: targets[0]!.id });
    return { kind: 'changed', deploymentId: deployment.id, change };
  }

  /** Inserts a deployment already summarized from its targets' states (and, with a first change, at sequence 1). */
  private async insertNew(
    db: Db,
    d: { moduleSlug: string | null; branch: string | null; commit: string | null; ownerId: number | null },
    states: { applicationId: string; state: TargetState }[],
    e: ChangeDraft | null,
    now: string,
  ): Promise<{ deployment: DeploymentRow; targets: TargetRow[] }> {
    const blank: DeploymentRow = {
      id: 0,
      module_slug: d.moduleSlug,
      branch_name: d.branch,
      commit_sha: d.commit,
      status: 'pending',
      progress: 0,
      message: null,
      url: null,
      owner_id: d.ownerId,
      last_sequence: 0,
      created_at: now,
      updated_at: now,
      started_at: null,
      finished_at: null,
    };
    const initial = states.map((s) => ({ ...targetColumns(s.state), application_id: s.applicationId })) as TargetRow[];
    const { id: _id, ...values } = e ? nextRow(blank, initial, e) : blank;
    const deployment = await this.store.insertDeployment(db, values);
    const targets: TargetRow[] = [];
    for (const s of states) targets.push(await this.store.insertTarget(db, deployment.id, s.applicationId, s.state, now));
    return { deployment, targets };
  }

  /** The event of a change the deployment row already holds, and what is broadcast of it. */
  private async appendChange(db: Db, deployment: DeploymentRow, targets: TargetRow[], e: ChangeDraft & { targetId: number | null }): Promise<DeploymentChange> {
    const sequence = deployment.last_sequence;
    const event = await this.store.appendEvent(db, { deploymentId: deployment.id, sequence, targetId: e.targetId, status: e.status, message: e.message, logs: e.logs, now: e.now });
    // The first event of a deployment is its whole history: no need to read it back.
    const events = sequence === 1 ? [event] : await this.store.recentEvents(db, deployment.id);
    return { deploymentId: String(deployment.id), ownerId: deployment.owner_id, sequence, payload: toPayload(deployment, targets, events) };
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
    const [targets, events] = await Promise.all([this.store.targetsOf(db, d.id), this.store.recentEvents(db, d.id)]);
    return { ...toView(d, targets, events), all_logs: logLines(events), events: events.map(eventView) };
  }

  private async views(db: Db, rows: DeploymentRow[]): Promise<DeploymentView[]> {
    const targets = await this.store.targetsOfMany(db, rows.map((r) => r.id));
    return rows.map((r) => toView(r, targets.filter((t) => t.deployment_id === r.id)));
  }
}

interface ChangeDraft {
  status: DeploymentStatus;
  message: string | null;
  logs: string[];
  url: string | null;
  now: string;
}

/** A deployment after one change of its targets: summary, message, next sequence. Pure. */
function nextRow(deployment: DeploymentRow, targets: TargetRow[], e: ChangeDraft): DeploymentRow {
  const summary = summarize(targets.map(targetStateOf));
  return {
    ...deployment,
    status: summary.status,
    progress: summary.progress,
    started_at: summary.startedAt,
    finished_at: summary.finishedAt,
    message: deploymentMessage(summary.status, deployment.module_slug, e.message ?? deployment.message),
    url: e.url ?? deployment.url,
    commit_sha: deployment.commit_sha ?? targets.find((t) => t.commit_sha)?.commit_sha ?? null,
    last_sequence: deployment.last_sequence + 1,
    updated_at: e.now,
  };
}
