import { sql, type Selectable } from 'kysely';
import { TERMINAL_STATUSES, type DeploymentStatus } from '@slipway/contracts';
import type { Db } from '../db/database.ts';
import type { DialectTraits } from '../db/dialect.ts';
import type { DeploymentsTable, DeploymentTargetsTable, DeploymentEventsTable } from '../db/schema.ts';
import type { TargetState } from './target-state.ts';
import { inline } from '../db/literal.ts';
import { argNames, prepared } from '../db/prepared.ts';

export type DeploymentRow = Selectable<DeploymentsTable>;
export type TargetRow = Selectable<DeploymentTargetsTable>;
export type EventRow = Selectable<DeploymentEventsTable>;

export const UNFINISHED: DeploymentStatus[] = ['pending', 'building', 'deploying'];

/** How many events a deployment's status and broadcasts carry. */
export const RECENT_EVENTS = 50;

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
    runAttempt: row.run_attempt,
  };
}

type NewDeployment = Omit<DeploymentRow, 'id'>;
type TargetValues = ReturnType<typeof targetColumns>;

const DEPLOYMENT_COLUMNS = argNames<NewDeployment>({
  module_slug: true,
  branch_name: true,
  commit_sha: true,
  status: true,
  progress: true,
  message: true,
  url: true,
  owner_id: true,
  last_sequence: true,
  created_at: true,
  updated_at: true,
  started_at: true,
  finished_at: true,
  publish_key: true,
  rollback_of: true,
});
const TARGET_COLUMNS = argNames<TargetValues>({
  status: true,
  progress: true,
  external_id: true,
  commit_sha: true,
  url: true,
  run_url: true,
  message: true,
  started_at: true,
  finished_at: true,
  run_attempt: true,
});

/** Unfinished targets of a branch and application that no CI run has claimed yet. */
function openTargets(db: Db, a: { branch: string; applicationId: string }) {
  return db
    .selectFrom('deployment_targets as t')
    .innerJoin('deployments as d', 'd.id', 't.deployment_id')
    .selectAll('t')
    .where('d.branch_name', '=', a.branch)
    .where('t.application_id', '=', a.applicationId)
    .where('t.status', 'in', UNFINISHED)
    .where('t.external_id', 'is', null);
}

/**
 * Every query on deployments, targets and events. Takes a Db or a transaction. The queries a
 * webhook runs are prepared (compiled once); the others are built per call.
 */
export class DeploymentsStore {
  constructor(private readonly traits: DialectTraits) {}

  private readonly targetById = prepared(['id'], (db, a: { id: number }) => db.selectFrom('deployment_targets').selectAll().where('id', '=', a.id));

  private readonly targetByExternalId = prepared(['externalId', 'applicationId'], (db, a: { externalId: string; applicationId: string }) =>
    db
      .selectFrom('deployment_targets')
      .selectAll()
      .where('external_id', '=', a.externalId)
      .where('application_id', '=', a.applicationId)
      .orderBy('id', 'desc')
      .limit(inline(1)),
  );

  private readonly openTarget = prepared(['branch', 'applicationId'], (db, a: { branch: string; applicationId: string }) =>
    openTargets(db, a).orderBy('t.id', 'desc').limit(inline(1)),
  );

  private readonly openTargetOfCommit = prepared(['branch', 'applicationId', 'commit'], (db, a: { branch: string; applicationId: string; commit: string }) =>
    openTargets(db, a)
      .where((eb) => eb.or([eb('t.commit_sha', 'is', null), eb('t.commit_sha', '=', a.commit)]))
      // The target of this very commit first: a newer publish's target, not pushed yet, must not
      // take a run of the commit before it.
      .orderBy(sql`case when t.commit_sha is null then 1 else 0 end`)
      .orderBy('t.id', 'desc')
      .limit(inline(1)),
  );

  private readonly deploymentById = prepared(['id'], (db, a: { id: number }) => {
    const q = db.selectFrom('deployments').selectAll().where('id', '=', a.id);
    return this.traits.rowLocks ? q.forUpdate() : q;
  });

  // Inserts return only the new id: the row is what was written (reading every column back cost
  // the webhook path a third of its allocations).
  private readonly deploymentInsert = prepared(DEPLOYMENT_COLUMNS, (db, a: NewDeployment) => db.insertInto('deployments').values(a).returning('id'));

  private readonly deploymentUpdate = prepared(['id', ...DEPLOYMENT_COLUMNS], (db, { id, ...row }: DeploymentRow) =>
    db.updateTable('deployments').set(row).where('id', '=', id),
  );

  // A pair (external id, application) that another writer committed first is not an error: the
  // insert returns no row, and the caller reads the winner (two instances, one run's first report).
  private readonly targetInsert = prepared(
    ['deployment_id', 'application_id', 'created_at', 'updated_at', ...TARGET_COLUMNS],
    (db, a: TargetValues & { deployment_id: number; application_id: string; created_at: string; updated_at: string }) =>
      db.insertInto('deployment_targets').values(a).onConflict((oc) => oc.doNothing()).returning('id'),
  );

  private readonly targetUpdate = prepared(['id', 'updated_at', ...TARGET_COLUMNS], (db, { id, ...values }: TargetValues & { id: number; updated_at: string }) =>
    db.updateTable('deployment_targets').set(values).where('id', '=', id),
  );

  private readonly targetsOfDeployment = prepared(['deploymentId'], (db, a: { deploymentId: number }) =>
    db.selectFrom('deployment_targets').selectAll().where('deployment_id', '=', a.deploymentId).orderBy('id'),
  );

  private readonly eventInsert = prepared(
    argNames<Omit<EventRow, 'id'>>({ deployment_id: true, sequence: true, target_id: true, status: true, message: true, logs: true, created_at: true }),
    (db, a: Omit<EventRow, 'id'>) => db.insertInto('deployment_events').values(a).returning('id'),
  );

  private readonly newestEvents = prepared(['deploymentId'], (db, a: { deploymentId: number }) =>
    db.selectFrom('deployment_events').selectAll().where('deployment_id', '=', a.deploymentId).orderBy('sequence', 'desc').limit(inline(RECENT_EVENTS)),
  );

  async getTarget(db: Db, id: number): Promise<TargetRow | undefined> {
    return (await this.targetById(db, { id }))[0];
  }

  async findTargetByExternalId(db: Db, externalId: string, applicationId: string): Promise<TargetRow | undefined> {
    return (await this.targetByExternalId(db, { externalId, applicationId }))[0];
  }

  /** Newest unfinished target of that branch and application whose commit is unknown or the same. */
  async findOpenTarget(db: Db, branch: string, applicationId: string, commit: string | undefined): Promise<TargetRow | undefined> {
    const rows = commit ? await this.openTargetOfCommit(db, { branch, applicationId, commit }) : await this.openTarget(db, { branch, applicationId });
    return rows[0];
  }

  /** Reads and, on PostgreSQL, locks the deployment row: writers of one deployment take turns. */
  async lockDeployment(db: Db, id: number): Promise<DeploymentRow | undefined> {
    return (await this.deploymentById(db, { id }))[0];
  }

  async insertDeployment(db: Db, row: NewDeployment): Promise<DeploymentRow> {
    return { id: (await this.deploymentInsert(db, row))[0]!.id, ...row };
  }

  /** The new row, or undefined when its (external id, application) exists already. */
  async insertTarget(db: Db, deploymentId: number, applicationId: string, state: TargetState, now: string): Promise<TargetRow | undefined> {
    const row = { deployment_id: deploymentId, application_id: applicationId, ...targetColumns(state), created_at: now, updated_at: now };
    const id = (await this.targetInsert(db, row))[0]?.id;
    return id === undefined ? undefined : { id, ...row };
  }

  /** A deployment written in this transaction that lost a race before its first event (nothing refers to it). */
  async deleteDeployment(db: Db, id: number): Promise<void> {
    await db.deleteFrom('deployment_targets').where('deployment_id', '=', id).execute();
    await db.deleteFrom('deployments').where('id', '=', id).execute();
  }

  /** A target that has nothing to deploy (its events keep their history, without the link). */
  async deleteTarget(db: Db, id: number): Promise<void> {
    await db.deleteFrom('deployment_targets').where('id', '=', id).execute();
  }

  async updateTarget(db: Db, id: number, state: TargetState, now: string): Promise<void> {
    await this.targetUpdate(db, { id, ...targetColumns(state), updated_at: now });
  }

  targetsOf(db: Db, deploymentId: number): Promise<TargetRow[]> {
    return this.targetsOfDeployment(db, { deploymentId });
  }

  targetsOfMany(db: Db, deploymentIds: number[]): Promise<TargetRow[]> {
    if (deploymentIds.length === 0) return Promise.resolve([]);
    return db.selectFrom('deployment_targets').selectAll().where('deployment_id', 'in', deploymentIds).orderBy('id').execute();
  }

  /** Writes every column of the row (a deployment changes as a whole: summary, message, sequence). */
  async updateDeployment(db: Db, row: DeploymentRow): Promise<void> {
    await this.deploymentUpdate(db, row);
  }

  async appendEvent(
    db: Db,
    e: { deploymentId: number; sequence: number; targetId: number | null; status: DeploymentStatus; message: string | null; logs: string[]; now: string },
  ): Promise<EventRow> {
    const row = {
      deployment_id: e.deploymentId,
      sequence: e.sequence,
      target_id: e.targetId,
      status: e.status,
      message: e.message,
      logs: JSON.stringify(e.logs),
      created_at: e.now,
    };
    return { id: (await this.eventInsert(db, row))[0]!.id, ...row };
  }

  /** The newest RECENT_EVENTS events, oldest first. */
  async recentEvents(db: Db, deploymentId: number): Promise<EventRow[]> {
    return (await this.newestEvents(db, { deploymentId })).reverse();
  }

  /** The deployment a publish created (`publish_key` is unique). */
  byPublishKey(db: Db, key: string): Promise<DeploymentRow | undefined> {
    return db.selectFrom('deployments').selectAll().where('publish_key', '=', key).executeTakeFirst();
  }

  /** The newest target of that application, branch and commit, outside `exceptDeploymentId`: that commit was deployed already. */
  targetOfCommit(db: Db, a: { branch: string; applicationId: string; commit: string; exceptDeploymentId?: number }): Promise<TargetRow | undefined> {
    let q = db
      .selectFrom('deployment_targets as t')
      .innerJoin('deployments as d', 'd.id', 't.deployment_id')
      .selectAll('t')
      .where('d.branch_name', '=', a.branch)
      .where('t.application_id', '=', a.applicationId)
      .where('t.commit_sha', '=', a.commit);
    if (a.exceptDeploymentId !== undefined) q = q.where('d.id', '<>', a.exceptDeploymentId);
    return q.orderBy('t.id', 'desc').limit(inline(1)).executeTakeFirst();
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

  /** How many deployments are in each status, and the oldest last change of an unfinished one (for /metrics). */
  async census(db: Db): Promise<{ byStatus: { status: DeploymentStatus; count: number }[]; oldestUnfinishedUpdate: string | null }> {
    const [byStatus, oldest] = await Promise.all([
      db.selectFrom('deployments').select(['status', (eb) => eb.fn.countAll<number | string>().as('count')]).groupBy('status').execute(),
      db.selectFrom('deployments').select((eb) => eb.fn.min('updated_at').as('at')).where('status', 'in', UNFINISHED).executeTakeFirst(),
    ]);
    return { byStatus: byStatus.map((r) => ({ status: r.status, count: Number(r.count) })), oldestUnfinishedUpdate: oldest?.at ?? null };
  }

  /** Unfinished deployments with no news since `before` (for the watchdog). */
  stale(db: Db, before: string, limit = 100): Promise<DeploymentRow[]> {
    return db.selectFrom('deployments').selectAll().where('status', 'in', UNFINISHED).where('updated_at', '<', before).orderBy('updated_at').limit(inline(limit)).execute();
  }

  /** Ids of finished deployments with no news since `before`, above `afterId`, in id order (for the retention sweep). */
  async finishedBefore(db: Db, before: string, afterId: number, limit: number): Promise<number[]> {
    const rows = await db
      .selectFrom('deployments')
      .select('id')
      .where('status', 'in', TERMINAL_STATUSES)
      .where('updated_at', '<', before)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(inline(limit))
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * Deletes at most `limit` events of these deployments, never a deployment's newest one (what
   * its status shows once finished); returns how many.
   */
  async deleteEventsButLast(db: Db, deploymentIds: readonly number[], limit: number): Promise<number> {
    if (deploymentIds.length === 0) return 0;
    const r = await db
      .deleteFrom('deployment_events')
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('deployment_events as e')
          .innerJoin('deployments as d', 'd.id', 'e.deployment_id')
          .select('e.id')
          .where('e.deployment_id', 'in', deploymentIds)
          .whereRef('e.sequence', '<', 'd.last_sequence')
          .limit(inline(limit)),
      )
      .executeTakeFirst();
    return Number(r.numDeletedRows);
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
    run_attempt: s.runAttempt,
  };
}
