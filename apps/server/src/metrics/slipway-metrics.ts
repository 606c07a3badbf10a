import { Registry, type Gauge } from 'prom-client';
import { DEPLOYMENT_STATUSES, type DeploymentStatus } from '@slipway/contracts';
import type { Broadcaster, DeploymentChange } from '../deployments/broadcaster.ts';
import type { JobBacklog } from '../jobs/job-backlog.ts';
import type { RealtimeStats } from '../realtime/index.ts';
import type { DeliveryOutcome, IntakeMetrics } from '../webhooks/webhook-intake.service.ts';
import { defineMetrics, defineRedisBusMetric, type MetricSet } from './definitions.ts';
import type { PublishMetrics } from './timed-publisher.ts';

/** What is read at scrape time, from the database every instance shares. */
export interface MetricSources {
  deployments?: () => Promise<{ byStatus: { status: DeploymentStatus; count: number }[]; oldestUnfinishedUpdate: string | null }>;
  jobs?: (nowMs: number) => Promise<JobBacklog[]>;
  /** A source that failed: its gauges are left empty for this scrape. */
  onError?: (err: unknown, source: string) => void;
  clock?: () => number;
}

/** How many finished deployments are remembered, so one reaching success is observed once. */
const SEEN_SUCCESSES = 1000;

/**
 * Slipway's Prometheus metrics. Services record into it through narrow interfaces (the intake's
 * IntakeMetrics, the publisher's PublishMetrics, a Broadcaster for deployment changes), and the
 * figures of shared state (deployments, jobs) are read from the database at scrape time, so every
 * instance reports the same, correct values whichever instance made the change.
 */
export class SlipwayMetrics implements IntakeMetrics, PublishMetrics {
  readonly registry = new Registry();
  private readonly m: MetricSet;
  private readonly clock: () => number;
  private realtime: (() => RealtimeStats | null) | undefined;
  private redisBus: Gauge | undefined;
  private lastTraffic = { in: 0, out: 0 };
  private readonly seenSuccess = new Set<string>();

  constructor(private readonly sources: MetricSources = {}) {
    this.m = defineMetrics(this.registry);
    this.clock = sources.clock ?? Date.now;
  }

  // ---- recorders ----------------------------------------------------------------------------

  delivery(outcome: DeliveryOutcome | 'failed', seconds: number, reason?: string): void {
    this.m.webhookDeliveries.inc({ outcome });
    if (outcome === 'rejected' && reason) this.m.webhookRejections.inc({ reason });
    this.m.intakeDuration.observe({ outcome }, seconds);
  }

  rateLimited(): void {
    this.m.webhookDeliveries.inc({ outcome: 'rate_limited' });
  }

  published(application: string, outcome: 'ok' | 'error', seconds: number): void {
    this.m.publishDuration.observe({ application, outcome }, seconds);
  }

  /** Added to the deployments' broadcasters: sees every committed change, on the instance that made it. */
  readonly changes: Broadcaster = {
    publish: (c: DeploymentChange) => this.deploymentChanged(c),
  };

  private deploymentChanged(c: DeploymentChange): void {
    const p = c.payload;
    if (p.status !== 'success' || !c.publishedAt || !p.finished_at || this.seenSuccess.has(c.deploymentId)) return;
    this.seenSuccess.add(c.deploymentId);
    if (this.seenSuccess.size > SEEN_SUCCESSES) this.seenSuccess.delete(this.seenSuccess.values().next().value!);
    const seconds = (Date.parse(p.finished_at) - Date.parse(c.publishedAt)) / 1000;
    if (Number.isFinite(seconds) && seconds >= 0) this.m.publishToLive.observe(seconds);
  }

  /** The realtime server's figures (app.ts attaches it once registered). */
  observeRealtime(stats: () => RealtimeStats | null): void {
    this.realtime = stats;
    if (stats()?.redisBusConnected !== undefined) this.redisBus ??= defineRedisBusMetric(this.registry);
  }

  // ---- scrape -------------------------------------------------------------------------------

  /** Reads the scrape-time figures, then renders every metric in Prometheus' text format. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    await Promise.all([this.readDeployments(), this.readJobs()]);
    this.readRealtime();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private async readDeployments(): Promise<void> {
    const read = this.sources.deployments;
    if (!read) return;
    try {
      const census = await read();
      this.m.deployments.reset();
      for (const status of DEPLOYMENT_STATUSES) this.m.deployments.set({ status }, 0);
      for (const r of census.byStatus) this.m.deployments.set({ status: r.status }, r.count);
      const oldest = census.oldestUnfinishedUpdate ? Date.parse(census.oldestUnfinishedUpdate) : NaN;
      this.m.oldestUnfinishedIdle.set(Number.isFinite(oldest) ? Math.max(0, (this.clock() - oldest) / 1000) : 0);
    } catch (err) {
      this.m.deployments.reset();
      this.m.oldestUnfinishedIdle.reset();
      this.sources.onError?.(err, 'deployments');
    }
  }

  private async readJobs(): Promise<void> {
    const read = this.sources.jobs;
    if (!read) return;
    try {
      const backlog = await read(this.clock());
      this.m.jobs.reset();
      this.m.jobOldestWait.reset();
      for (const b of backlog) {
        this.m.jobs.set({ kind: b.kind, state: 'queued' }, b.queued);
        this.m.jobs.set({ kind: b.kind, state: 'scheduled' }, b.scheduled);
        this.m.jobs.set({ kind: b.kind, state: 'running' }, b.running);
        this.m.jobOldestWait.set({ kind: b.kind }, b.oldestWaitSeconds);
      }
    } catch (err) {
      this.m.jobs.reset();
      this.m.jobOldestWait.reset();
      this.sources.onError?.(err, 'jobs');
    }
  }

  private readRealtime(): void {
    const s = this.realtime?.();
    if (!s) return;
    this.m.realtimeConnections.set(s.connections);
    this.m.realtimeSubscriptions.set(s.subscriptions);
    this.m.realtimeChannels.set(s.channels);
    // The server counts since it started; the counter takes what came since the last scrape.
    if (s.messagesIn > this.lastTraffic.in) this.m.realtimeMessages.inc({ direction: 'in' }, s.messagesIn - this.lastTraffic.in);
    if (s.messagesOut > this.lastTraffic.out) this.m.realtimeMessages.inc({ direction: 'out' }, s.messagesOut - this.lastTraffic.out);
    this.lastTraffic = { in: s.messagesIn, out: s.messagesOut };
    if (s.redisBusConnected !== undefined) this.redisBus?.set(s.redisBusConnected ? 1 : 0);
  }
}
