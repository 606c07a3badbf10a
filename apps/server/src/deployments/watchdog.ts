import { isTerminal } from '@slipway/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { ApplicationConfig } from '../config/app-file.schema.ts';
import type { Db } from '../db/database.ts';
import type { DialectTraits } from '../db/dialect.ts';
import type { DokployConfirmation } from '../dokploy/confirmation.ts';
import { dokployApiProblem } from '../dokploy/dokploy.client.ts';
import { DeploymentsStore, type DeploymentRow, type TargetRow } from './deployments.store.ts';
import { runIdOf, runVerdict, type GitHubRunsClient } from './github-runs.client.ts';
import type { TargetReporter } from './target-reporter.ts';
import { PeriodicPass } from '../jobs/periodic-pass.ts';
import { deploymentLogger } from './deployment-log.ts';

export interface WatchdogSettings {
  /** A deployment with no news for this long is reconciled, else failed. */
  staleAfterMs: number;
  intervalMs: number;
  /** How long a confirmation may follow Dokploy (added to the hard limit below). */
  confirmTimeoutMs: number;
}

export interface WatchdogDeps {
  db: Db;
  traits: DialectTraits;
  reporter: TargetReporter;
  applications: readonly ApplicationConfig[];
  env: Record<string, string | undefined>;
  settings: WatchdogSettings;
  log: FastifyBaseLogger;
  /** Follows Dokploy for a target CI took to the deploy stage. */
  confirmation?: DokployConfirmation;
  /** Reads GitHub Actions runs (`gh-<run id>` external ids), when a GitHub token is configured. */
  github?: GitHubRunsClient;
  clock?: () => number;
}

/** What the watchdog did about one unfinished target. */
export interface WatchdogAction {
  deploymentId: number;
  applicationId: string;
  action: 'succeeded' | 'failed' | 'handed_over' | 'alive' | 'untouched';
  message: string;
}

/**
 * "Nothing stays stuck" (docs/dokploy.md, the watchdog). On the instance that leads (context.ts wires it
 * to the leader lock, docs/scaling.md), periodically and once when it takes the lead, so it holds
 * across restarts and hand-overs, every unfinished deployment with no news for `staleAfterMs` is looked at, target by
 * target: a GitHub Actions run that ended decides; a target CI took to the deploy stage is handed
 * to Dokploy's confirmation (which has its own deadline); otherwise it is failed with the reason.
 * A run still in progress postpones that, up to a hard limit. Every change goes through
 * `DeploymentsService.report`, so events, sequence and broadcast stay consistent.
 */
export class Watchdog {
  private readonly store: DeploymentsStore;
  private readonly apps: Map<string, ApplicationConfig>;
  private readonly clock: () => number;
  private readonly periodic: PeriodicPass<WatchdogAction[]>;

  constructor(private readonly deps: WatchdogDeps) {
    this.store = new DeploymentsStore(deps.traits);
    this.apps = new Map(deps.applications.map((a) => [a.id, a]));
    this.clock = deps.clock ?? Date.now;
    this.periodic = new PeriodicPass({ name: 'watchdog pass', intervalMs: deps.settings.intervalMs, pass: () => this.pass(), log: deps.log });
  }

  /** Silence after which a target is failed even while a run still says it is in progress. */
  get hardLimitMs(): number {
    return 4 * this.deps.settings.staleAfterMs + this.deps.settings.confirmTimeoutMs;
  }

  start(): void {
    this.periodic.start();
  }

  stop(): Promise<void> {
    return this.periodic.stop();
  }

  /** One pass over the stale deployments (one at a time: a pass already running is joined). */
  runOnce(): Promise<WatchdogAction[]> {
    return this.periodic.runOnce();
  }

  private async pass(): Promise<WatchdogAction[]> {
    const now = this.clock();
    const before = new Date(now - this.deps.settings.staleAfterMs).toISOString();
    const actions: WatchdogAction[] = [];
    for (const d of await this.store.stale(this.deps.db, before)) {
      for (const t of await this.store.targetsOf(this.deps.db, d.id)) {
        if (isTerminal(t.status)) continue;
        // Its lines name the deployment and the CI run the target follows.
        const log = deploymentLogger(this.deps.log, d.id, t.external_id);
        try {
          const a = await this.reconcile(d, t, now);
          actions.push(a);
          // The child logger names the deployment (as a string, the API's way); the action says the rest.
          const { deploymentId: _, ...rest } = a;
          if (a.action !== 'alive') log.info(rest, 'watchdog');
        } catch (err) {
          log.error({ err, deployment: d.id, application: t.application_id }, 'watchdog could not reconcile a target');
        }
      }
    }
    return actions;
  }

  private async reconcile(d: DeploymentRow, t: TargetRow, now: number): Promise<WatchdogAction> {
    const ref = { deploymentId: d.id, applicationId: t.application_id };
    const app = this.apps.get(t.application_id);
    const silentMs = now - Date.parse(t.updated_at);
    const act = (action: WatchdogAction['action'], message: string): WatchdogAction => ({ ...ref, action, message });
    const notes: string[] = [];
    let alive = false;
    const dokployUsable = Boolean(app?.dokploy?.apiUrl && this.deps.confirmation && !dokployApiProblem(app, this.deps.env));
    const handOver = async (why: string) => {
      // One confirmation per silence: its key holds the silence's start, so later passes join it.
      await this.deps.confirmation!.start(ref, `watchdog-${t.updated_at}`);
      return act('handed_over', why);
    };

    const runId = runIdOf(t.external_id);
    const repository = app?.github?.repository;
    if (this.deps.github && repository && runId) {
      try {
        const run = await this.deps.github.run(repository, runId);
        const verdict = runVerdict(run);
        if (verdict.kind === 'success') {
          if (dokployUsable) return handOver(`GitHub Actions run ${runId} succeeded; following Dokploy`);
          const message = `GitHub Actions run ${runId} succeeded (reconciled by the watchdog)`;
          return act(await this.finished(ref, { status: 'success', message }), message);
        }
        if (verdict.kind === 'failed') {
          const message = `GitHub Actions run ${runId} concluded '${verdict.conclusion}' (reconciled by the watchdog)`;
          return act(await this.finished(ref, { status: 'failed', message }), message);
        }
        alive = true;
        notes.push(`GitHub Actions run ${runId} is still ${run.status}`);
      } catch (err) {
        notes.push((err as Error).message);
      }
    }

    // Dokploy's word counts once CI took the target to the deploy stage (it may have reported
    // `done` while the confirmation was lost); before that, the newest Dokploy deployment could
    // be anyone's.
    if (!alive && t.status === 'deploying' && dokployUsable && silentMs < this.hardLimitMs) {
      return handOver('CI reached the deploy stage; following Dokploy');
    }
    if (alive && silentMs < this.hardLimitMs) return act('alive', notes.join('; '));

    const message = `No news from CI for ${humanDuration(silentMs)}${notes.length ? ` (${notes.join('; ')})` : ''}: marked failed by the watchdog`;
    return act(await this.finished(ref, { status: 'failed', message }), message);
  }

  private async finished(ref: { deploymentId: number; applicationId: string }, r: { status: 'success' | 'failed'; message: string }): Promise<WatchdogAction['action']> {
    const outcome = await this.deps.reporter.report(ref, r);
    if (outcome === 'changed') return r.status === 'success' ? 'succeeded' : 'failed';
    return 'untouched';
  }
}

export function humanDuration(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 120) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} minutes`;
  const h = Math.floor(m / 60);
  const rest = m % 60;
  return rest ? `${h} h ${rest} min` : `${h} hours`;
}
