import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ApplicationConfig } from '../config/config.ts';
import type { LiveState } from '../deployments/live-services.ts';
import type { Db } from '../db/database.ts';
import { hostedAppOf, localRepoPath, ZERO_SHA, type PushEvent, type PushEvents } from '../git/index.ts';
import type { BuildTrigger, ServiceStopper } from '../modules/branch-publisher.ts';
import { moduleBranchHeads } from './branch-heads.ts';
import { removeStaleCheckouts } from './checkout.ts';
import type { JobContext, JobQueue } from '../jobs/job-queue.ts';
import { PeriodicPass } from '../jobs/periodic-pass.ts';
import { runnableBranch } from './pipeline-file.ts';
import { runPipeline, serviceKey, type PipelineRunDeps } from './pipeline-run.ts';
import { RunReporter } from './run-reporter.ts';
import type { Sandbox } from './sandbox.ts';
import type { ServiceSupervisor } from './services.ts';

export const RUNNER_JOB = 'runner.pipeline';
/** One run per application, branch and commit: the runner job's dedupe key. */
export const runnerJobKey = (app: string, branch: string, commit: string, deploymentId?: number) =>
  `runner:${app}:${branch}:${commit}${deploymentId ? `:d${deploymentId}` : ''}`;
export const WEBHOOK_PATH = '/api/webhooks/dokploy/deployment';
/** Starts a kept service again after a restart: one job per service file and start, so one instance does it. */
export const RELAUNCH_JOB = 'runner.relaunch';
export const relaunchJobKey = (key: string, startedAt: string) => `runner.relaunch:${key}:${startedAt}`;


interface RelaunchJob {
  key: string;
  startedAt: string;
}

export interface RunJob {
  app: string;
  branch: string;
  commit: string;
  /** A Retry or Redeploy: the new deployment the run reports to (its own job key and CI run id). */
  deploymentId?: number;
}

/** What the runner reads about deploy targets (the ApplicationRegistry fits). */
export interface ApplicationLookup {
  get(id: string): ApplicationConfig | undefined;
}

export interface RunnerLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface LocalRunnerOptions {
  db: Db;
  /** A queue of its own, so a long build never holds up publishing or Dokploy confirmation. */
  jobs: JobQueue;
  /** Pipelines run at once by this instance (default 2: a module's backend and frontend side by side). */
  concurrency?: number;
  pushEvents: PushEvents;
  applications: ApplicationLookup;
  /** `<dataDir>/repos`: the hosted repositories. */
  reposDir: string;
  /** `<dataDir>/runner`. */
  workDir: string;
  /** Runs services in `sandbox` too. */
  supervisor: ServiceSupervisor;
  /** Every pipeline command runs in it; a sandbox that cannot start fails the run, saying why. */
  sandbox: Sandbox;
  /** The webhook secret reports are signed with (the server's first). */
  secret: () => string;
  env?: Record<string, string | undefined>;
  log?: RunnerLog;
  /**
   * Whether a deployment target already follows this commit (CI reported on it, or a publish
   * recorded it): the reconciliation builds only module branch heads that nothing follows.
   */
  deployed?: (db: Db, run: RunJob) => Promise<boolean>;
  /**
   * The outcome of the latest finished deployment target of `commit` on `branch` of `app`
   * (success, failed), undefined when none: a kept service is relaunched only when it is `success`.
   */
  deploymentOutcome?: (db: Db, run: { app: string; branch: string; commit: string }) => Promise<string | undefined>;
  /** How long a live-state probe waits for the service's answer (default 1.5 s). */
  probeTimeoutMs?: number;
  /** How often every instance reconciles the hosted module branches with their builds (default 1 min). */
  reconcileIntervalMs?: number;
  pipeline?: Partial<Pick<PipelineRunDeps, 'dockerAvailable' | 'defaultStepTimeoutMs'>>;
  /** Log batching of the reports (default 1 s). */
  batchMs?: number;
  sendRetries?: number;
}

/**
 * The embedded CI: a push to `main` or `module/*` of a hosted repository becomes a durable job
 * (one per application, branch and commit) that runs the commit's `.slipway/pipeline.yaml` and
 * reports every stage through Slipway's own signed webhook, as CI does. Slipway's publisher queues
 * its builds in the transaction that records its push (`pushed`); a person's push over HTTP is
 * queued once git has accepted it, and a push whose process died before that is found by the
 * reconciliation every instance runs (docs/runner.md, "Nothing lost").
 */
export class LocalRunner implements BuildTrigger, ServiceStopper {
  private webhookUrl: string | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly abort = new AbortController();
  private readonly reconciliation: PeriodicPass<number[]>;

  constructor(private readonly o: LocalRunnerOptions) {
    o.jobs.register(RUNNER_JOB, (p: RunJob, ctx: JobContext) => this.runJob(p, ctx), { concurrency: o.concurrency ?? 2 });
    o.jobs.register(RELAUNCH_JOB, (p: RelaunchJob) => this.relaunchJob(p), { concurrency: 4 });
    this.reconciliation = new PeriodicPass({
      name: 'local runner: reconciliation of module branches',
      intervalMs: o.reconcileIntervalMs ?? 60_000,
      pass: () => this.reconcile(),
      log: { error: (obj: object, msg: string) => o.log?.error(obj, msg) } as never,
    });
  }

  /** Starts listening and working; `serverUrl` is where Slipway listens (reports go there). */
  start(serverUrl: string): void {
    this.webhookUrl = new URL(WEBHOOK_PATH, serverUrl).toString();
    this.unsubscribe ??= this.o.pushEvents.on((e) => void this.onPush(e));
    // Only what a dead runner left: instances sharing the data folder may be building in theirs.
    void removeStaleCheckouts(join(this.o.workDir, 'checkouts'))
      .catch((err) => this.o.log?.error({ err }, 'local runner: cleaning the checkouts failed'))
      .finally(() => {
        if (this.abort.signal.aborted) return;
        this.reconciliation.start();
        this.o.jobs.start();
      });
    void this.queueRelaunches().catch((err) => this.o.log?.error({ err }, 'local runner: queueing the relaunch of kept services failed'));
  }

  /** Stops taking work, cancels the running pipeline (its job runs again at the next start), stops the services. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.abort.abort();
    await this.reconciliation.stop();
    await this.o.jobs.stop();
    await this.o.supervisor.stopAll();
  }

  /** The jobs for a person's push: one per updated runnable branch with a new head. */
  async onPush(e: PushEvent): Promise<number[]> {
    const ids: number[] = [];
    for (const u of e.updates) {
      try {
        const id = await this.enqueue(this.o.db, e.app, u.ref, u.after);
        if (id !== undefined) ids.push(id);
      } catch (err) {
        this.o.log?.error({ err, app: e.app, ref: u.ref }, 'could not queue the pipeline run');
      }
    }
    return ids;
  }

  /** Whether this runner builds `app`: Slipway hosts its repository (a rollback rebuilds a recorded commit here). */
  hosts(app: ApplicationConfig): boolean {
    return Boolean(app.repoUrl && hostedAppOf(this.o.reposDir, app.repoUrl));
  }

  /** ServiceStopper: ends the service `branch` of `app` runs, when Slipway hosts that repository (a deleted module). */
  async stopServices(app: ApplicationConfig, branch: string): Promise<void> {
    const hosted = app.repoUrl ? hostedAppOf(this.o.reposDir, app.repoUrl) : null;
    if (hosted) await this.o.supervisor.stop(serviceKey(hosted, branch), { forget: true });
  }

  /**
   * Previews (docs/previews.md): the loopback address of the service `branch` of `app` runs here
   * (its recorded port), undefined when Slipway runs none for it.
   */
  async serviceAddress(app: ApplicationConfig, branch: string): Promise<{ host: string; port: number } | undefined> {
    const hosted = app.repoUrl ? hostedAppOf(this.o.reposDir, app.repoUrl) : null;
    if (!hosted) return undefined;
    const record = await this.o.supervisor.record(serviceKey(hosted, branch));
    return record?.spec && record.port ? { host: this.o.supervisor.host, port: record.port } : undefined;
  }

  /**
   * The service `branch` of `app` runs here, as it is now: `running` when it answers HTTP (below
   * 500) on its port, else `starting` while this instance starts it, else `stopped`. Undefined when
   * Slipway runs no service for it (another CI deploys it, or its pipeline has no `deploy.start`).
   */
  async liveState(app: ApplicationConfig, branch: string, url: string | null): Promise<{ state: LiveState; url: string | null } | undefined> {
    const hosted = app.repoUrl ? hostedAppOf(this.o.reposDir, app.repoUrl) : null;
    if (!hosted) return undefined;
    const key = serviceKey(hosted, branch);
    const record = await this.o.supervisor.record(key);
    if (!record?.spec) return undefined;
    const answers = await probeService(this.o.supervisor.host, record.port, url, this.o.probeTimeoutMs ?? 1500);
    if (answers) return { state: 'running', url };
    return { state: this.o.supervisor.isStarting(key) ? 'starting' : 'stopped', url };
  }

  /**
   * Starts the kept service of `branch` of `app` again (a person's Start): `running` when it
   * answers already, `started`, `missing` when nothing is kept to start (no release folder:
   * Redeploy), undefined when Slipway runs no service for it.
   */
  async startService(app: ApplicationConfig, branch: string): Promise<'running' | 'started' | 'missing' | undefined> {
    const hosted = app.repoUrl ? hostedAppOf(this.o.reposDir, app.repoUrl) : null;
    if (!hosted) return undefined;
    const key = serviceKey(hosted, branch);
    const record = await this.o.supervisor.record(key);
    if (!record?.spec) return undefined;
    if (await probeService(this.o.supervisor.host, record.port, null, this.o.probeTimeoutMs ?? 1500)) return 'running';
    const started = await this.o.supervisor.relaunch(key);
    if (!started) return 'missing';
    this.o.log?.info({ key, pid: started.pid, port: record.port }, `local runner: started ${key} again on port ${record.port}`);
    return 'started';
  }

  /**
   * One relaunch job per kept service (its service file names how to start it): the job's key
   * (service and start time) makes one instance do it, however many start together.
   */
  async queueRelaunches(): Promise<number[]> {
    const ids: number[] = [];
    for (const r of await this.o.supervisor.records()) {
      if (!r.spec || !r.startedAt) continue;
      ids.push(
        await this.o.jobs.enqueue(this.o.db, {
          type: RELAUNCH_JOB,
          payload: { key: r.key, startedAt: r.startedAt } satisfies RelaunchJob,
          key: relaunchJobKey(r.key, r.startedAt),
          maxAttempts: 1,
        }),
      );
    }
    return ids;
  }

  /** Relaunches a kept service whose deployment succeeded, unless it answers already or was replaced since. */
  private async relaunchJob(p: RelaunchJob): Promise<{ outcome: string }> {
    const r = await this.o.supervisor.record(p.key);
    if (!r?.spec || r.startedAt !== p.startedAt) return { outcome: 'replaced' };
    const app = r.spec.env.SLIPWAY_APP ?? '';
    const branch = r.spec.env.SLIPWAY_BRANCH ?? '';
    const commit = r.spec.commit ?? r.spec.env.SLIPWAY_COMMIT ?? '';
    if (await probeService(this.o.supervisor.host, r.port, null, this.o.probeTimeoutMs ?? 1500)) return { outcome: 'running' };
    const outcome = await this.o.deploymentOutcome?.(this.o.db, { app, branch, commit });
    if (this.o.deploymentOutcome && outcome !== 'success') {
      this.o.log?.info({ key: p.key, outcome: outcome ?? 'none' }, `local runner: ${p.key} is not started again: its deployment of ${commit.slice(0, 7)} did not succeed`);
      return { outcome: `not relaunched (${outcome ?? 'no deployment'})` };
    }
    try {
      const started = await this.o.supervisor.relaunch(p.key);
      if (!started) return { outcome: 'no release folder' };
      this.o.log?.info({ key: p.key, pid: started.pid, port: r.port }, `local runner: started ${p.key} again on port ${r.port}`);
      return { outcome: 'relaunched' };
    } catch (err) {
      this.o.log?.warn({ err, key: p.key }, `local runner: ${p.key} could not be started again`);
      return { outcome: `failed: ${(err as Error).message}` };
    }
  }

  /**
   * Cancels the pipeline run of `commit` on `branch` of `app` (a cancelled deployment), in `db`: a
   * queued run never starts; a running one is aborted (its step's process group ends). False when
   * Slipway does not host that repository or the run had finished.
   */
  async cancelRun(db: Db, app: ApplicationConfig, run: { branch: string; commit: string; deploymentId: number }, reason: string): Promise<boolean> {
    const hosted = app.repoUrl ? hostedAppOf(this.o.reposDir, app.repoUrl) : null;
    if (!hosted) return false;
    // The push's own run, or the run a Retry/Redeploy queued for this deployment.
    const push = await this.o.jobs.cancel(db, runnerJobKey(hosted, run.branch, run.commit), reason);
    return (await this.o.jobs.cancel(db, runnerJobKey(hosted, run.branch, run.commit, run.deploymentId), reason)) || push;
  }

  /**
   * Queues a new run of `commit` for the deployment `deploymentId` (Retry, Redeploy), in `db`: its
   * own job, whatever ran before. False when Slipway does not host that repository.
   */
  async rerun(db: Db, app: ApplicationConfig, run: { branch: string; commit: string; deploymentId: number }): Promise<boolean> {
    const hosted = app.repoUrl ? hostedAppOf(this.o.reposDir, app.repoUrl) : null;
    if (!hosted) return false;
    await this.o.jobs.enqueue(db, {
      type: RUNNER_JOB,
      payload: { app: hosted, branch: run.branch, commit: run.commit, deploymentId: run.deploymentId } satisfies RunJob,
      key: runnerJobKey(hosted, run.branch, run.commit, run.deploymentId),
      maxAttempts: 3,
    });
    return true;
  }

  /** BuildTrigger: a publish pushed `commit` to `branch` of `app`; queued in `db` when Slipway hosts that repository. */
  async pushed(db: Db, app: ApplicationConfig, branch: string, commit: string): Promise<void> {
    const hosted = app.repoUrl ? hostedAppOf(this.o.reposDir, app.repoUrl) : null;
    if (hosted) await this.enqueue(db, hosted, `refs/heads/${branch}`, commit);
  }

  /**
   * Module branch heads of the hosted repositories that no job and no deployment target follows:
   * pushes acknowledged to a person just before a process died. Every instance runs it at start
   * and every `reconcileIntervalMs` (so a push is built even if the instance that took it never
   * comes back); the job key makes each build once. Returns their jobs (new, or queued before).
   */
  async reconcile(): Promise<number[]> {
    const ids: number[] = [];
    for (const head of await moduleBranchHeads(this.o.reposDir)) {
      const run: RunJob = { app: head.app, branch: head.branch, commit: head.commit };
      if (await this.o.deployed?.(this.o.db, run)) continue;
      const id = await this.enqueue(this.o.db, head.app, `refs/heads/${head.branch}`, head.commit);
      if (id !== undefined) ids.push(id);
    }
    if (ids.length) this.o.log?.info({ jobs: ids }, `local runner: ${ids.length} module branch head(s) followed by no deployment have a build job`);
    return ids;
  }

  /** One job per application, branch and commit, whoever asks and however often. */
  private async enqueue(db: Db, appId: string, ref: string, commit: string): Promise<number | undefined> {
    const branch = runnableBranch(ref, this.o.applications.get(appId)?.baseBranch ?? 'main');
    if (!branch || commit === ZERO_SHA || !/^[0-9a-f]{40}$/.test(commit)) return undefined;
    return this.o.jobs.enqueue(db, {
      type: RUNNER_JOB,
      payload: { app: appId, branch, commit } satisfies RunJob,
      key: runnerJobKey(appId, branch, commit),
      maxAttempts: 3,
    });
  }

  private async runJob(p: RunJob, ctx: JobContext): Promise<{ outcome: string; url?: string }> {
    const webhookUrl = this.webhookUrl;
    if (!webhookUrl) throw new Error('the local runner is not started');
    const app: ApplicationConfig = this.o.applications.get(p.app) ?? { id: p.app, baseBranch: 'main' };
    const repoDir = localRepoPath(this.o.reposDir, p.app);
    if (!existsSync(join(repoDir, 'HEAD'))) return { outcome: 'no repository' };
    const log = this.o.log;
    // Slipway stopping, or this claim lost (another worker runs the job): the run stops.
    const stop = AbortSignal.any([this.abort.signal, ctx.signal]);
    const reporter = new RunReporter({
      webhookUrl,
      secret: this.o.secret(),
      run: { deploymentId: `local-${p.app}-${p.commit.slice(0, 7)}${p.deploymentId ? `-d${p.deploymentId}` : ''}`, applicationId: p.app, branch: p.branch, commit: p.commit },
      batchMs: this.o.batchMs,
      sendOptions: { retries: this.o.sendRetries ?? 4 },
      onFailure: (error) => log?.warn({ app: p.app, branch: p.branch }, `local runner: ${error}`),
    });
    try {
      const outcome = await runPipeline(
        { app, repoDir, branch: p.branch, commit: p.commit },
        { workDir: this.o.workDir, supervisor: this.o.supervisor, sandbox: this.o.sandbox, env: this.o.env, ...this.o.pipeline },
        { stage: (stage, message) => reporter.stageStarted(stage, message), line: (l) => reporter.line(l), signal: stop },
      );
      if (stop.aborted) throw new Error('the local runner stopped during the run');
      if (outcome.kind === 'none') {
        // A module branch without a pipeline would wait forever: say so. A plain push to main is not news.
        if (p.branch.startsWith('module/')) await reporter.finish('error', { message: outcome.message, stage: 'build' });
        log?.info({ app: p.app, branch: p.branch }, outcome.message);
        return { outcome: 'none' };
      }
      if (outcome.kind === 'success') await reporter.finish('done', { message: outcome.message, url: outcome.url, stage: 'deploy' });
      else await reporter.finish('error', { message: outcome.message, url: outcome.url, stage: outcome.stage });
      log?.info({ app: p.app, branch: p.branch, commit: p.commit, outcome: outcome.kind }, `local runner: ${outcome.message}`);
      return { outcome: outcome.kind, url: outcome.url };
    } catch (err) {
      // Stopped mid-run: the job runs again (its lease runs out), here or on another instance.
      if (stop.aborted) {
        await reporter.drain();
        throw err;
      }
      // Slipway's own failure (checkout, file system): reported, not retried; the person learns why.
      log?.error({ err, app: p.app, branch: p.branch }, 'local runner failed');
      await reporter.finish('error', { message: `The local runner failed: ${(err as Error).message}` });
      return { outcome: 'error' };
    }
  }
}

/**
 * Whether a service answers HTTP below 500 on `host:port`: at `url` when it is on that port (the
 * link a person opens), else at `/`. A refused connection, a timeout or a 5xx: no.
 */
export async function probeService(host: string, port: number, url: string | null, timeoutMs: number): Promise<boolean> {
  let target = `http://${host}:${port}/`;
  try {
    if (url && new URL(url).host === `${host}:${port}`) target = url;
  } catch {
    /* not a URL: the root */
  }
  try {
    const res = await fetch(target, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel().catch(() => undefined);
    return res.status < 500;
  } catch {
    return false;
  }
}
