import { isTerminal } from '@slipway/contracts';
import type { FastifyBaseLogger } from 'fastify';
import type { ApplicationConfig } from '../config/app-file.schema.ts';
import type { Db } from '../db/database.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { DeploymentRow, TargetRow } from '../deployments/deployments.store.ts';
import type { SlipwayReport, TargetReporter, TargetRef } from '../deployments/target-reporter.ts';
import type { AcceptedReport } from '../webhooks/webhook-intake.service.ts';
import { DokployApiError, dokployApiProblem, dokployClientFor, type DokployClient, type FetchLike } from './dokploy.client.ts';
import { deploymentSince, type DokployDeployment } from './dokploy-answers.ts';
import { checkHealthOnce, healthUrlOf, publicUrlOf } from './health-check.ts';
import { deploymentLogger } from '../deployments/deployment-log.ts';

export const CONFIRM_JOB = 'dokploy.confirm';

/** How many of Dokploy's log lines a deployment keeps. */
export const LOG_TAIL_LINES = 40;

/**
 * Dokploy's clock and Slipway's may differ: a Dokploy deployment created this long before the
 * target still counts as the target's. Kept small: an older one belongs to someone else.
 */
export const CLOCK_SKEW_MS = 30_000;

/**
 * One step of following a target to its end. Each step does one bounded check and either finishes
 * the target or queues the next step: polling never holds the job queue, and survives a restart.
 */
export interface ConfirmPayload extends TargetRef {
  /** Names one confirmation of this target: the keys of its steps (so each step is queued once). */
  run: string;
  step: number;
  phase: 'dokploy' | 'health';
  /** Epoch ms: past it, a Dokploy deployment still unfinished (or never started) fails the target. */
  deadline: number;
  /** The Dokploy deployment followed, once seen (its first sight is reported once). */
  seen?: string;
  healthTries?: number;
}

export interface ConfirmationSettings {
  dokploy: { requestTimeoutMs: number; confirmTimeoutMs: number; pollIntervalMs: number };
  healthCheck: { attempts: number; intervalMs: number; timeoutMs: number };
}

export interface ConfirmationDeps {
  db: Db;
  jobs: JobQueue;
  reporter: TargetReporter;
  applications: readonly ApplicationConfig[];
  /** Where API keys are read from (`dokploy.apiKeyEnv`). */
  env: Record<string, string | undefined>;
  settings: ConfirmationSettings;
  log: FastifyBaseLogger;
  fetch?: FetchLike;
  clock?: () => number;
}

/** What Dokploy says about a target's deployment, logs included once it ended. */
export type DokployView =
  | { kind: 'none' }
  | { kind: 'running'; deployment: DokployDeployment }
  | { kind: 'done' | 'failed'; deployment: DokployDeployment; logs: string[] };

/** Reads the target's Dokploy deployment: the application's newest one, if created since the target. */
export async function inspectDokploy(client: DokployClient, app: ApplicationConfig, target: TargetRow): Promise<DokployView> {
  const since = Date.parse(target.created_at) - CLOCK_SKEW_MS;
  const deployment = deploymentSince(await client.latestDeployment(app.dokploy!.applicationId!), since);
  if (!deployment) return { kind: 'none' };
  if (deployment.status === 'running') return { kind: 'running', deployment };
  let logs: string[];
  try {
    logs = await client.readLogs(deployment.deploymentId, LOG_TAIL_LINES);
  } catch (err) {
    logs = [`(Dokploy's log of deployment ${deployment.deploymentId} could not be read: ${(err as Error).message})`];
  }
  return { kind: deployment.status === 'done' ? 'done' : 'failed', deployment, logs };
}

/** The report that ends a target whose Dokploy deployment failed or was cancelled. */
export function dokployFailure(view: { deployment: DokployDeployment; logs: string[] }): SlipwayReport {
  const d = view.deployment;
  const why = d.status === 'cancelled' ? 'was cancelled' : `failed${d.errorMessage ? `: ${d.errorMessage}` : ''}`;
  const message = `Dokploy deployment ${d.deploymentId} ${why}`;
  return { status: 'failed', message, logs: [message, ...view.logs] };
}

const minutes = (ms: number) => (ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);

/**
 * Slipway does not call a target `success` on CI's word alone when it can ask Dokploy: after CI's
 * `done` (which left the target `deploying`), this follows Dokploy's newest deployment of the
 * application to `done`/`error`, attaches its log tail, then — when `publicUrl` and `healthPath`
 * are configured — checks the public URL (bounded retries) as the last stage, and finishes the target.
 */
export class DokployConfirmation {
  private readonly apps: Map<string, ApplicationConfig>;
  private readonly clock: () => number;

  constructor(private readonly deps: ConfirmationDeps) {
    this.apps = new Map(deps.applications.map((a) => [a.id, a]));
    this.clock = deps.clock ?? Date.now;
  }

  register(): void {
    // Each step is one short poll of Dokploy; many deployments may be confirming at once.
    this.deps.jobs.register(CONFIRM_JOB, (p: ConfirmPayload) => this.step(p), { concurrency: 8 });
  }

  /** Whether targets of this application wait for Dokploy's word (it has a Dokploy API URL). */
  confirms(applicationId: string): boolean {
    return Boolean(this.apps.get(applicationId)?.dokploy?.apiUrl);
  }

  /**
   * The webhook intake's follow-up, in the delivery's transaction: CI's `done` that left a target
   * `deploying` starts a confirmation (one per attempt of the CI run).
   */
  readonly onAccepted = async (db: Db, a: AcceptedReport): Promise<void> => {
    if (a.report.status !== 'done' || a.input.status !== 'deploying' || !this.confirms(a.input.applicationId)) return;
    const attempt = a.input.runAttempt ?? 1;
    await this.start({ deploymentId: a.deploymentId, applicationId: a.input.applicationId }, attempt > 1 ? `ci-${attempt}` : 'ci', db);
  };

  /** Queues a confirmation (once per `run`), in `db` (a transaction, to queue it with what causes it). */
  async start(ref: TargetRef, run: string, db: Db = this.deps.db): Promise<number> {
    const p: ConfirmPayload = { ...ref, run, step: 0, phase: 'dokploy', deadline: this.clock() + this.deps.settings.dokploy.confirmTimeoutMs };
    return this.deps.jobs.enqueue(db, { type: CONFIRM_JOB, payload: p, key: keyOf(p) });
  }

  /** One step (the job handler). Idempotent: a finished target ends the run; a step is queued once. */
  async step(p: ConfirmPayload): Promise<string> {
    const found = await this.deps.reporter.find(this.deps.db, p);
    if (!found) return 'deployment gone';
    if (isTerminal(found.target.status)) return `target already ${found.target.status}`;
    // A CI re-run started the target over: this confirmation followed the earlier attempt.
    const attempt = attemptOf(p);
    if (attempt && (found.target.run_attempt ?? 1) > attempt) return `attempt ${found.target.run_attempt} of the CI run took over`;
    const app = this.apps.get(p.applicationId);
    if (!app?.dokploy?.apiUrl) {
      return this.finish(p, { status: 'success', message: 'CI reported done (Dokploy confirmation is no longer configured for this application)' });
    }
    const problem = dokployApiProblem(app, this.deps.env);
    if (problem) return this.finish(p, { status: 'failed', message: `Cannot confirm the deployment with Dokploy: ${problem}` });
    return p.phase === 'health' ? this.health(p, app, found.deployment) : this.follow(p, app, found.deployment, found.target);
  }

  private async follow(p: ConfirmPayload, app: ApplicationConfig, deployment: DeploymentRow, target: TargetRow): Promise<string> {
    const client = dokployClientFor(app, this.deps.env, { timeoutMs: this.deps.settings.dokploy.requestTimeoutMs, fetch: this.deps.fetch });
    const late = this.clock() >= p.deadline;
    const waited = minutes(this.deps.settings.dokploy.confirmTimeoutMs);
    let view: DokployView;
    try {
      view = await inspectDokploy(client, app, target);
    } catch (err) {
      if (!(err instanceof DokployApiError)) throw err;
      if (err.permanent || late) return this.finish(p, { status: 'failed', message: `Cannot confirm the deployment with Dokploy: ${err.message}` });
      deploymentLogger(this.deps.log, p.deploymentId, target.external_id).warn({ deployment: p.deploymentId, application: p.applicationId, err: err.message }, 'Dokploy API unavailable; will ask again');
      return this.next(p, {}, this.deps.settings.dokploy.pollIntervalMs);
    }

    if (view.kind === 'none') {
      if (late) return this.finish(p, { status: 'failed', message: `Dokploy started no deployment of application ${app.dokploy!.applicationId} within ${waited} of CI's report` });
      return this.next(p, {}, this.deps.settings.dokploy.pollIntervalMs);
    }
    const id = view.deployment.deploymentId;
    if (view.kind === 'running') {
      if (late) {
        const logs = await client.readLogs(id, LOG_TAIL_LINES).catch(() => []);
        const message = `Dokploy deployment ${id} still running after ${waited}`;
        return this.finish(p, { status: 'failed', message, logs: [message, ...logs] });
      }
      if (p.seen !== id) await this.report(p, { status: 'deploying', message: `Dokploy is deploying (deployment ${id})` });
      return this.next(p, { seen: id }, this.deps.settings.dokploy.pollIntervalMs);
    }
    if (view.kind === 'failed') return this.finish(p, dokployFailure(view));

    const message = `Dokploy deployment ${id} done`;
    const healthUrl = healthUrlOf(app, { moduleSlug: deployment.module_slug, branch: deployment.branch_name });
    if (healthUrl) {
      await this.report(p, { status: 'deploying', message: `${message}; checking ${healthUrl}`, logs: [message, ...view.logs] });
      return this.next(p, { phase: 'health', seen: id, healthTries: 0 }, 0);
    }
    return this.finish(p, { status: 'success', message, logs: [message, ...view.logs], url: publicUrlOf(app, { moduleSlug: deployment.module_slug, branch: deployment.branch_name }) });
  }

  private async health(p: ConfirmPayload, app: ApplicationConfig, deployment: DeploymentRow): Promise<string> {
    const where = { moduleSlug: deployment.module_slug, branch: deployment.branch_name };
    const url = healthUrlOf(app, where);
    if (!url) return this.finish(p, { status: 'success', message: 'Dokploy deployment done' });
    const { attempts, intervalMs, timeoutMs } = this.deps.settings.healthCheck;
    const r = await checkHealthOnce(url, timeoutMs, this.deps.fetch);
    const tries = (p.healthTries ?? 0) + 1;
    if (r.ok) return this.finish(p, { status: 'success', message: `Health check passed: ${url} answered HTTP ${r.status}`, url: publicUrlOf(app, where) });
    if (tries >= attempts) {
      return this.finish(p, { status: 'failed', message: `Health check of ${url} failed after ${tries} attempt${tries === 1 ? '' : 's'}: ${r.reason}` });
    }
    return this.next(p, { healthTries: tries }, intervalMs);
  }

  /** Reports as the CI attempt it follows: once a re-run started the target over, the status machine ignores it. */
  private report(p: ConfirmPayload, r: SlipwayReport) {
    return this.deps.reporter.report(p, { ...r, runAttempt: attemptOf(p) });
  }

  private async finish(p: ConfirmPayload, r: SlipwayReport): Promise<string> {
    const outcome = await this.report(p, r);
    return `${r.status}: ${r.message} (${outcome})`;
  }

  private async next(p: ConfirmPayload, patch: Partial<ConfirmPayload>, delayMs: number): Promise<string> {
    const n: ConfirmPayload = { ...p, ...patch, step: p.step + 1 };
    await this.deps.jobs.enqueue(this.deps.db, { type: CONFIRM_JOB, payload: n, key: keyOf(n), runAt: new Date(this.clock() + delayMs) });
    return `step ${n.step} queued (${n.phase})`;
  }
}

/** The CI run attempt a confirmation follows (`ci`: 1, `ci-<n>`: n); undefined for other runs. */
function attemptOf(p: ConfirmPayload): number | undefined {
  const m = /^ci(?:-(\d+))?$/.exec(p.run);
  return m ? Number(m[1] ?? 1) : undefined;
}

function keyOf(p: ConfirmPayload): string {
  return `${CONFIRM_JOB}:${p.deploymentId}:${p.applicationId}:${p.run}:${p.step}`;
}
