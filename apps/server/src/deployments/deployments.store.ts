import type { Selectable } from 'kysely';
import type { DeploymentStatus } from '@slipway/contracts';
import type { Db } from '../db/database.ts';
import type { DialectTraits } from '../db/dialect.ts';
import type { DeploymentsTable, DeploymentTargetsTable, DeploymentEventsTable } from '../db/schema.ts';
import type { TargetState } from './target-state.ts';
import { inline } from '../db/literal.ts';

export type DeploymentRow = Selectable<DeploymentsTable>;
export type TargetRow = Selectable<DeploymentTargetsTable>;
export type EventRow = Selectable<DeploymentEventsTable>;

export const UNFINISHED: DeploymentStatus[] = ['pending', 'building', 'deploying'];

/** Visibility: members see their own deployments, admins all. */
export interface Viewer {
  id: number;
  role: 'admin' | 'member';
}

export interface ListFilter {
  status?: DeploymentStatus;
  moduleSlug?: string;
  page: number;
  perPage: number;
}

export function targetStateOf(row: TargetRow): TargetState {
  return {
    status: row.status,
    progress: row.progress,
    externalId: row.external_id,
    commitSha: row.commit_sha,
    url: row.url,
    runUrl: row.run_url,
    message: row.message,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** Every query on deployments, targets and events. Takes a Db or a transaction. */
export class DeploymentsStore {
  constructor(private readonly traits: DialectTraits) {}

  getTarget(db: Db, id: number): Promise<TargetRow | undefined> {
    return db.selectFrom('deployment_targets').selectAll().where('id', '=', id).executeTakeFirst();
  }

  findTargetByExternalId(db: Db, externalId: string, applicationId: string): Promise<TargetRow | undefined> {
    return db
      .selectFrom('deployment_targets')
      .selectAll()
      .where('external_id', '=', externalId)
      .where('application_id', '=', applicationId)
      .orderBy('id', 'desc')
      .limit(inline(1))
      .executeTakeFirst();
  }

  /** Newest unfinished target of that branch and application whose commit is unknown or the same. */
  findOpenTarget(db: Db, branch: string, applicationId: string, commit: string | undefined): Promise<TargetRow | undefined> {
    let q = db
      .selectFrom('deployment_targets as t')
      .innerJoin('deployments as d', 'd.id', 't.deployment_id')
      .selectAll('t')
      .where('d.branch_name', '=', branch)
      .where('t.application_id', '=', applicationId)
      .where('t.status', 'in', UNFINISHED)
      .where('t.external_id', 'is', null);
    if (commit) q = q.where((eb) => eb.or([eb('t.commit_sha', 'is', null), eb('t.commit_sha', '=', commit)]));
    return q.orderBy('t.id', 'desc').limit(inline(1)).executeTakeFirst();
  }

  /** Reads and, on PostgreSQL, locks the deployment row: writers of one deployment take turns. */
  lockDeployment(db: Db, id: number): Promise<DeploymentRow | undefined> {
    let q = db.selectFrom('deployments').selectAll().where('id', '=', id);
    if (this.traits.rowLocks) q = q.forUpdate();
    return q.executeTakeFirst();
  }

  insertDeployment(db: Db, row: Omit<DeploymentRow, 'id'>): Promise<DeploymentRow> {
    return db.insertInto('deployments').values(row).returningAll().executeTakeFirstOrThrow();
  }

  insertTarget(db: Db, deploymentId: number, applicationId: string, state: TargetState, now: string): Promise<TargetRow> {
    return db
      .insertInto('deployment_targets')
      .values({ deployment_id: deploymentId, application_id: applicationId, ...targetColumns(state), created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  async updateTarget(db: Db, id: number, state: TargetState, now: string): Promise<void> {
    await db.updateTable('deployment_targets').set({ ...targetColumns(state), updated_at: now }).where('id', '=', id).execute();
  }

  targetsOf(db: Db, deploymentId: number): Promise<TargetRow[]> {
    return db.selectFrom('deployment_targets').selectAll().where('deployment_id', '=', deploymentId).orderBy('id').execute();
  }

  targetsOfMany(db: Db, deploymentIds: number[]): Promise<TargetRow[]> {
    if (deploymentIds.length === 0) return Promise.resolve([]);
    return db.selectFrom('deployment_targets').selectAll().where('deployment_id', 'in', deploymentIds).orderBy('id').execute();
  }

  async updateDeployment(db: Db, id: number, patch: Partial<Omit<DeploymentRow, 'id'>>): Promise<void> {
    await db.updateTable('deployments').set(patch).where('id', '=', id).execute();
  }

  async appendEvent(
    db: Db,
    e: { deploymentId: number; sequence: number; targetId: number | null; status: DeploymentStatus; message: string | null; logs: string[]; now: string },
  ): Promise<EventRow> {
    return db
      .insertInto('deployment_events')
      .values({
        deployment_id: e.deploymentId,
        sequence: e.sequence,
        target_id: e.targetId,
        status: e.status,
        message: e.message,
        logs: JSON.stringify(e.logs),
        created_at: e.now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** The newest events, oldest first. */
  async recentEvents(db: Db, deploymentId: number, limit: number): Promise<EventRow[]> {
    const rows = await db
      .selectFrom('deployment_events')
      .selectAll()
      .where('deployment_id', '=', deploymentId)
      .orderBy('sequence', 'desc')
      .limit(inline(limit))
      .execute();
    return rows.reverse();
  }

  findByCommit(db: Db, moduleSlug: string, branch: string, commit: string | null): Promise<DeploymentRow | undefined> {
    let q = db.selectFrom('deployments').selectAll().where('module_slug', '=', moduleSlug).where('branch_name', '=', branch);
    q = commit === null ? q.where('commit_sha', 'is', null) : q.where('commit_sha', '=', commit);
    return q.orderBy('id', 'desc').limit(inline(1)).executeTakeFirst();
  }

  get(db: Db, id: number): Promise<DeploymentRow | undefined> {
    return db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
  }

  private visible(db: Db, viewer: Viewer) {
    let q = db.selectFrom('deployments').selectAll();
    if (viewer.role !== 'admin') q = q.where('owner_id', '=', viewer.id);
    return q;
  }

  getVisible(db: Db, viewer: Viewer, id: number): Promise<DeploymentRow | undefined> {
    return this.visible(db, viewer).where('id', '=', id).executeTakeFirst();
  }

  latestVisibleBySlug(db: Db, viewer: Viewer, slug: string): Promise<DeploymentRow | undefined> {
    return this.visible(db, viewer).where('module_slug', '=', slug).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(inline(1)).executeTakeFirst();
  }

  active(db: Db, viewer: Viewer, limit = 200): Promise<DeploymentRow[]> {
    return this.visible(db, viewer).where('status', 'in', UNFINISHED).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(inline(limit)).execute();
  }

  /** Unfinished deployments with no news since `before` (for the watchdog). */
  stale(db: Db, before: string, limit = 100): Promise<DeploymentRow[]> {
    return db.selectFrom('deployments').selectAll().where('status', 'in', UNFINISHED).where('updated_at', '<', before).orderBy('updated_at').limit(inline(limit)).execute();
  }

  async list(db: Db, viewer: Viewer, f: ListFilter): Promise<{ rows: DeploymentRow[]; total: number }> {
    let q = this.visible(db, viewer);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.moduleSlug) q = q.where('module_slug', '=', f.moduleSlug);
    const [rows, count] = await Promise.all([
      q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(inline(f.perPage)).offset(inline((f.page - 1) * f.perPage)).execute(),
      q.clearSelect().select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(count.n) };
  }
}

export function targetColumns(s: TargetState) {
  return {
    status: s.status,
    progress: s.progress,
    external_id: s.externalId,
    commit_sha: s.commitSha,
    url: s.url,
    run_url: s.runUrl,
    message: s.message,
    started_at: s.startedAt,
    finished_at: s.finishedAt,
  };
}
