import { aggregateStatus, isTerminal, moduleSlugFromBranch, type DeploymentStatus } from '@slipway/contracts';
import type { Db } from '../db/database.ts';
import type { DeploymentChange } from './broadcaster.ts';
import { deploymentMessage, firstFailed, summarize } from './deployment-summary.ts';
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
  /** Names the publish that creates it (module and version): one deployment per publish. */
  publishKey?: string;
  /** A rollback: the deployment whose commits it redeploys (issue #16). */
  rollbackOf?: number;
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
    // Correlation reads before the lock: a target claimed by another run meanwhile, or a deployment
    // another instance created first, sends it round again (bounded: each round sees a commit).
    for (let round = 1; ; round++) {
      const found = await this.correlate(db, input);
      if (!found) {
        const started = await this.startFromReport(db, input, now);
        if (started) return started;
        if (round < 3) continue;
        throw new Error(`report of ${input.externalId} for ${input.applicationId} conflicts, and no winner is visible`);
      }
      // Read under the lock: another writer may have moved the target since correlation.
      const deployment = await this.store.lockDeployment(db, found.deployment_id);
      if (!deployment) throw new Error(`deployment ${found.deployment_id} vanished`);
      const targets = await this.store.targetsOf(db, deployment.id);
      const target = targets.find((t) => t.id === found.id);
      const claimedByAnother = target?.external_id != null && input.externalId !== undefined && target.external_id !== input.externalId;
      if ((!target || claimedByAnother) && input.targetId === undefined && round < 3) continue;
      if (!target) throw new Error(`deployment target ${found.id} vanished`);
      return this.applyTo(db, deployment, targets, target, input, now);
    }
  }

  private async applyTo(db: Db, deployment: DeploymentRow, targets: TargetRow[], target: TargetRow, input: ReportInput, now: string): Promise<ReportResult> {
    const outcome = applyReport(targetStateOf(target), input, now);
    if (outcome.kind === 'ignored') return { kind: 'ignored', deploymentId: deployment.id, reason: outcome.reason };
    await this.store.updateTarget(db, target.id, outcome.next, now);
    const nextTargets = targets.map((t) => (t.id === target.id ? { ...t, ...targetColumns(outcome.next), updated_at: now } : t));
    const restarted = outcome.next.runAttempt !== target.run_attempt && target.started_at !== null;
    const logs = restarted ? [`Attempt ${outcome.next.runAttempt} of the CI run started (${target.application_id} was ${target.status})`, ...input.logs] : input.logs;
    const e = { status: outcome.next.status, message: input.message ?? null, logs, url: outcome.next.url, now, applicationId: target.application_id };
    const next = nextRow(deployment, nextTargets, e);
    await this.store.updateDeployment(db, next);
    const change = await this.appendChange(db, next, nextTargets, { ...e, targetId: target.id });
    return { kind: 'changed', deploymentId: deployment.id, change };
  }

  /** A deployment Slipway started itself (a module publish): pending, one target per application. */
  async create(db: Db, d: NewDeployment, now: string): Promise<DeploymentChange> {
    const states = d.targets.map((t) => ({ applicationId: t.applicationId, state: { ...newTargetState(), commitSha: t.commitSha } }));
    const e = { status: 'pending' as const, message: d.message ?? `Branch ${d.branch} pushed; waiting for CI`, logs: d.logs ?? [], url: null, now };
    const draft = { moduleSlug: d.moduleSlug, branch: d.branch, commit: d.commit, ownerId: d.ownerId, publishKey: d.publishKey ?? null, rollbackOf: d.rollbackOf ?? null };
    const { deployment, targets } = (await this.insertNew(db, draft, states, e, now))!;
    return this.appendChange(db, deployment, targets, { ...e, targetId: null });
  }

  /** The deployment of a publish (by its key), or undefined before the publish created it. */
  async published(db: Db, publishKey: string): Promise<number | undefined> {
    return (await this.store.byPublishKey(db, publishKey))?.id;
  }

  /**
   * A publish pushed one application's branch. Its target takes the commit (the first time; a
   * re-run after a crash finds it there and changes nothing), and `build` says whether CI should
   * run for it (queued by the caller in the same transaction; its key makes it once).
   *
   * A push that changed nothing (`unchanged`) of a commit another deployment already has deploys
   * nothing: no CI will come, so the target leaves this deployment — or, the last one, is
   * cancelled, so the deployment ends instead of waiting.
   */
  async recordPush(
    db: Db,
    a: { deploymentId: number; applicationId: string; commit: string; unchanged: boolean },
    now: string,
  ): Promise<{ change: DeploymentChange | null; build: boolean }> {
    const deployment = await this.store.lockDeployment(db, a.deploymentId);
    if (!deployment) throw new Error(`deployment ${a.deploymentId} vanished`);
    const targets = await this.store.targetsOf(db, deployment.id);
    const target = targets.find((t) => t.application_id === a.applicationId);
    if (!target) return { change: null, build: false }; // left the deployment in an earlier run of the job
    if (target.commit_sha !== null) return { change: null, build: true };
    const branch = deployment.branch_name ?? '';
    const before = a.unchanged ? await this.store.targetOfCommit(db, { branch, applicationId: a.applicationId, commit: a.commit, exceptDeploymentId: deployment.id }) : undefined;
    if (before) {
      const reason = `${a.applicationId}: ${branch} already holds these files (${a.commit.slice(0, 7)}, deployment ${before.deployment_id}); nothing to deploy`;
      if (targets.length === 1) {
        const r = await this.applyTo(db, deployment, targets, target, { applicationId: a.applicationId, targetId: target.id, status: 'cancelled', message: reason, logs: [reason] }, now);
        return { change: r.kind === 'changed' ? r.change : null, build: false };
      }
      await this.store.deleteTarget(db, target.id);
      return { change: await this.changeOf(db, deployment, targets.filter((t) => t.id !== target.id), { message: reason, targetId: null, now }), build: false };
    }
    await this.store.updateTarget(db, target.id, { ...targetStateOf(target), commitSha: a.commit }, now);
    const nextTargets = targets.map((t) => (t.id === target.id ? { ...t, commit_sha: a.commit, updated_at: now } : t));
    const message = `Pushed ${branch} to ${a.applicationId} at ${a.commit.slice(0, 7)}`;
    return { change: await this.changeOf(db, deployment, nextTargets, { message, targetId: target.id, now }), build: true };
  }

  /**
   * An event that changes no state (a publish step, such as "pushing to backend"), on the target
   * of `applicationId` (null: the deployment) while it still waits for its push; null once it has one (a re-run).
   */
  async note(db: Db, deploymentId: number, applicationId: string | null, message: string, now: string): Promise<DeploymentChange | null> {
    return db.transaction().execute(async (trx) => {
      const deployment = await this.store.lockDeployment(trx, deploymentId);
      if (!deployment) return null;
      const targets = await this.store.targetsOf(trx, deployment.id);
      const waiting = targets.filter((t) => t.commit_sha === null && !isTerminal(t.status));
      const target = applicationId === null ? null : waiting.find((t) => t.application_id === applicationId);
      if (target === undefined || !waiting.length) return null;
      return this.changeOf(trx, deployment, targets, { message, targetId: target?.id ?? null, now });
    });
  }

  /** Every unfinished target of the deployment ends with `reason`: failed (a publish that gave up) or cancelled (the Cancel control). */
  async failUnfinished(db: Db, deploymentId: number, reason: string, now: string, status: 'failed' | 'cancelled' = 'failed'): Promise<DeploymentChange[]> {
    const changes: DeploymentChange[] = [];
    for (const t of await this.store.targetsOf(db, deploymentId)) {
      if (isTerminal(t.status)) continue;
      const r = await this.report(db, { applicationId: t.application_id, targetId: t.id, status, message: reason, logs: [reason] }, now);
      if (r.kind === 'changed') changes.push(r.change);
    }
    return changes;
  }

  /** A change to the deployment's targets that no report made (a push, a target leaving): one event. */
  private async changeOf(db: Db, deployment: DeploymentRow, targets: TargetRow[], c: { message: string; targetId: number | null; now: string }): Promise<DeploymentChange> {
    const e = { status: aggregateStatus(targets.map((t) => t.status)), message: c.message, logs: [c.message], url: null, now: c.now };
    const next = nextRow(deployment, targets, e);
    await this.store.updateDeployment(db, next);
    return this.appendChange(db, next, targets, { ...e, targetId: c.targetId });
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
   * the report gives it (three inserts instead of inserts then updates). Undefined when another
   * writer created the target of this run first (the unique (external id, application)): nothing
   * of this one is kept, and the caller correlates again, to the winner.
   */
  private async startFromReport(db: Db, input: ReportInput, now: string): Promise<ReportResult | undefined> {
    const slug = input.moduleSlug ?? moduleSlugFromBranch(input.branch) ?? null;
    const draft = { moduleSlug: slug, branch: input.branch ?? null, commit: input.commitSha ?? null, ownerId: slug ? await this.resolveOwner(db, slug) : null, publishKey: null };
    const outcome = applyReport(newTargetState(), input, now);
    if (outcome.kind === 'ignored') {
      const created = await this.insertNew(db, draft, [{ applicationId: input.applicationId, state: newTargetState() }], null, now);
      return created && { kind: 'ignored', deploymentId: created.deployment.id, reason: outcome.reason };
    }
    const e = { status: outcome.next.status, message: input.message ?? null, logs: input.logs, url: outcome.next.url, now, applicationId: input.applicationId };
    const created = await this.insertNew(db, draft, [{ applicationId: input.applicationId, state: outcome.next }], e, now);
    if (!created) return undefined;
    const change = await this.appendChange(db, created.deployment, created.targets, { ...e, targetId: created.targets[0]!.id });
    return { kind: 'changed', deploymentId: created.deployment.id, change };
  }

  /**
   * Inserts a deployment already summarized from its targets' states (and, with a first change, at
   * sequence 1). Undefined when a target's (external id, application) was taken meanwhile: the
   * deployment row is removed again in this transaction.
   */
  private async insertNew(
    db: Db,
    d: { moduleSlug: string | null; branch: string | null; commit: string | null; ownerId: number | null; publishKey: string | null; rollbackOf?: number | null },
    states: { applicationId: string; state: TargetState }[],
    e: ChangeDraft | null,
    now: string,
  ): Promise<{ deployment: DeploymentRow; targets: TargetRow[] } | undefined> {
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
      publish_key: d.publishKey,
      rollback_of: d.rollbackOf ?? null,
      created_at: now,
      updated_at: now,
      started_at: null,
      finished_at: null,
    };
    const initial = states.map((s) => ({ ...targetColumns(s.state), application_id: s.applicationId })) as TargetRow[];
    const { id: _id, ...values } = e ? nextRow(blank, initial, e) : blank;
    const deployment = await this.store.insertDeployment(db, values);
    const targets: TargetRow[] = [];
    for (const s of states) {
      const t = await this.store.insertTarget(db, deployment.id, s.applicationId, s.state, now);
      if (!t) {
        await this.store.deleteDeployment(db, deployment.id);
        return undefined;
      }
      targets.push(t);
    }
    return { deployment, targets };
  }

  /** The event of a change the deployment row already holds, and what is broadcast of it. */
  private async appendChange(db: Db, deployment: DeploymentRow, targets: TargetRow[], e: ChangeDraft & { targetId: number | null }): Promise<DeploymentChange> {
    const sequence = deployment.last_sequence;
    const event = await this.store.appendEvent(db, { deploymentId: deployment.id, sequence, targetId: e.targetId, status: e.status, message: e.message, logs: e.logs, now: e.now });
    // The first event of a deployment is its whole history: no need to read it back.
    const events = sequence === 1 ? [event] : await this.store.recentEvents(db, deployment.id);
    const publishedAt = deployment.publish_key === null ? null : deployment.created_at;
    return { deploymentId: String(deployment.id), ownerId: deployment.owner_id, sequence, publishedAt, payload: toPayload(deployment, targets, events) };
  }

  // ---- reads, with visibility ----

  /** Deployments per status across every instance (they share the database), for /metrics. */
  census(db: Db) {
    return this.store.census(db);
  }

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
    const appOf = new Map(targets.map((t) => [t.id, t.application_id]));
    return { ...toView(d, targets, events), all_logs: logLines(events), events: events.map((e) => eventView(e, appOf)) };
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
  /** The application whose report it is. */
  applicationId?: string;
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
    message: deploymentMessage(summary.status, deployment.module_slug, e.message ?? deployment.message, {
      applicationId: e.applicationId,
      previous: deployment.message,
      failed: firstFailed(targets),
      targets: targets.length,
    }),
    url: e.url ?? deployment.url,
    commit_sha: deployment.commit_sha ?? targets.find((t) => t.commit_sha)?.commit_sha ?? null,
    last_sequence: deployment.last_sequence + 1,
    updated_at: e.now,
  };
}
