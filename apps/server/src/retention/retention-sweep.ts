import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.ts';
import type { DeploymentsStore } from '../deployments/deployments.store.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import { OUTCOMES, type DeliveriesStore } from '../webhooks/deliveries.store.ts';
import { PeriodicPass } from '../jobs/periodic-pass.ts';

export interface RetentionSettings {
  /** Every webhook delivery older than this goes. */
  deliveryMaxAgeMs: number;
  /** Rejected deliveries (anyone can send those) go sooner. */
  rejectedDeliveryMaxAgeMs: number;
  /** At most this many rejected deliveries are kept, the newest. */
  rejectedDeliveryMaxRows: number;
  /** Jobs finished (done or failed) longer ago than this go. */
  jobMaxAgeMs: number;
  /** Events of deployments finished longer ago than this go, but each deployment's last one. */
  deploymentEventMaxAgeMs: number;
  intervalMs: number;
}

export interface RetentionDeps {
  db: Db;
  deliveries: DeliveriesStore;
  deployments: DeploymentsStore;
  jobs: JobQueue;
  settings: RetentionSettings;
  log: FastifyBaseLogger;
  clock?: () => number;
  /** Rows per delete statement (tests make it small to see several batches). */
  batchSize?: number;
}

/** Rows deleted by one pass, by kind. */
export interface SweepResult {
  deliveries: number;
  rejectedDeliveries: number;
  jobs: number;
  deploymentEvents: number;
}

const BATCH = 500;
/** Deployments whose old events are looked at per statement. */
const DEPLOYMENT_PAGE = 100;
/** Rejected deliveries recorded between two trims to the cap, at least (see noteRejected). */
const MIN_TRIM_EVERY = 100;

/**
 * Deletes what is kept only for a while (docs/security.md, "Retention"): old webhook deliveries
 * (rejected ones sooner, and never more than a set number of them), finished jobs, and the events
 * of long-finished deployments (never the deployment rows, never a deployment's last event).
 * Periodically and once at start, on the instance that leads, like the watchdog (docs/scaling.md).
 * Every statement deletes at most a batch and the sweep yields between them, so it never holds the
 * database (SQLite's single writer) for long. Deletes are idempotent: the short overlap of a
 * leader hand-over does no harm.
 */
export class RetentionSweep {
  private readonly clock: () => number;
  private readonly batch: number;
  private readonly periodic: PeriodicPass<SweepResult>;
  private trimming: Promise<number> | undefined;
  private rejectedSinceTrim = 0;
  private readonly trimEvery: number;
  private stopping = false;

  constructor(private readonly deps: RetentionDeps) {
    this.clock = deps.clock ?? Date.now;
    this.batch = deps.batchSize ?? BATCH;
    this.trimEvery = Math.max(MIN_TRIM_EVERY, Math.ceil(deps.settings.rejectedDeliveryMaxRows / 10));
    this.periodic = new PeriodicPass({ name: 'retention sweep', intervalMs: deps.settings.intervalMs, pass: () => this.pass(), log: deps.log });
  }

  /**
   * Told of each rejected delivery recorded. Every `trimEvery` of them, rejected deliveries are
   * trimmed to the cap at once: many client addresses, each under its rate limit, could otherwise
   * add rows without bound between two sweeps. So at most cap + trimEvery (+ those arriving during
   * a trim) are ever stored.
   */
  noteRejected(): void {
    if (++this.rejectedSinceTrim < this.trimEvery || this.stopping) return;
    this.rejectedSinceTrim = 0;
    this.trimming ??= this.trimRejected()
      .catch((err: unknown) => (this.deps.log.error({ err }, 'trimming rejected deliveries failed'), 0))
      .finally(() => (this.trimming = undefined));
  }

  start(): void {
    this.stopping = false;
    this.periodic.start();
  }

  /** Stops the timer, and the pass under way after its current statement. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all([this.periodic.stop(), this.trimming]);
    this.stopping = false;
  }

  /** One pass (a pass already running is joined). */
  runOnce(): Promise<SweepResult> {
    return this.periodic.runOnce();
  }

  private async pass(): Promise<SweepResult> {
    const { db, deliveries, deployments, jobs, settings: s } = this.deps;
    const now = this.clock();
    const ago = (ms: number) => new Date(now - ms).toISOString();
    const result: SweepResult = { deliveries: 0, rejectedDeliveries: 0, jobs: 0, deploymentEvents: 0 };

    result.deliveries = await this.inBatches((n) => deliveries.deleteReceivedBefore(db, OUTCOMES, ago(s.deliveryMaxAgeMs), n));
    result.rejectedDeliveries = await this.inBatches((n) => deliveries.deleteReceivedBefore(db, ['rejected'], ago(s.rejectedDeliveryMaxAgeMs), n));
    result.rejectedDeliveries += await this.trimRejected();
    result.jobs = await this.inBatches((n) => jobs.deleteFinished(ago(s.jobMaxAgeMs), n));

    const eventsBefore = ago(s.deploymentEventMaxAgeMs);
    for (let after = 0; !this.stopping; ) {
      const ids = await deployments.finishedBefore(db, eventsBefore, after, DEPLOYMENT_PAGE);
      if (ids.length === 0) break;
      result.deploymentEvents += await this.inBatches((n) => deployments.deleteEventsButLast(db, ids, n));
      after = ids[ids.length - 1]!;
    }

    if (result.deliveries + result.rejectedDeliveries + result.jobs + result.deploymentEvents > 0) this.deps.log.info(result, 'retention sweep deleted old rows');
    return result;
  }

  /** Deletes the oldest rejected deliveries beyond REJECTED_DELIVERY_MAX_ROWS; returns how many. */
  private async trimRejected(): Promise<number> {
    const { db, deliveries, settings } = this.deps;
    const overflow = await deliveries.rejectedOverflowBefore(db, settings.rejectedDeliveryMaxRows);
    return overflow ? this.inBatches((n) => deliveries.deleteReceivedBefore(db, ['rejected'], overflow, n)) : 0;
  }

  /** Runs `remove` until it deletes less than a full batch, yielding to other work between batches. */
  private async inBatches(remove: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    while (!this.stopping) {
      const n = await remove(this.batch);
      total += n;
      if (n < this.batch) break;
      await nextTurn();
    }
    return total;
  }
}
