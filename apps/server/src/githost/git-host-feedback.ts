import type { ApplicationConfig } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import type { Broadcaster, DeploymentChange } from '../deployments/broadcaster.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { Duty } from '../jobs/leader-lock.ts';
import { PeriodicPass } from '../jobs/periodic-pass.ts';
import type { GitHubClient, GitHubCommitState, GitHubDeploymentState } from './github.client.ts';

export const GIT_HOST_REPORT_JOB = 'githost.report';
/** The commit status's context on GitHub. */
export const COMMIT_STATUS_CONTEXT = 'slipway';

interface ReportJob {
  deploymentId: number;
  applicationId: string;
  /** The preview became ready after the success was sent: send it again, with its URL. */
  preview?: boolean;
}

/** A deployment target's status → GitHub's deployment state and commit state. Pure. */
export function gitHubStates(status: string): { deployment: GitHubDeploymentState; commit: GitHubCommitState } {
  switch (status) {
    case 'success':
      return { deployment: 'success', commit: 'success' };
    case 'failed':
      return { deployment: 'failure', commit: 'failure' };
    case 'cancelled':
      return { deployment: 'error', commit: 'error' };
    case 'pending':
      return { deployment: 'queued', commit: 'pending' };
    default:
      return { deployment: 'in_progress', commit: 'pending' };
  }
}

/** `<public url>/modules?deployment=<id>`: the page's deployment dialog. */
export const dialogUrl = (publicUrl: string, deploymentId: number) => `${publicUrl.replace(/\/+$/, '')}/modules?deployment=${deploymentId}`;

/**
 * Tells GitHub how a module's deployment goes (docs/previews.md, "The git host"), for applications
 * with `github.repository` when GITHUB_TOKEN is set: a GitHub deployment of the target's commit to
 * the environment `preview-<slug>`, a deployment status at each change (`in_progress`, `success`,
 * `failure`) with the preview as `environment_url` and the dialog as `log_url`, and a commit status
 * `slipway`. Each change queues a durable job (keyed by deployment, application and status: once,
 * retried with backoff, surviving a crash); the job sends the target's status as it is when it runs,
 * so a late job never moves GitHub back. The leader's pass queues what a crash left unqueued.
 */
export class GitHostFeedback implements Duty {
  private readonly pass: PeriodicPass<void>;

  constructor(
    private readonly o: {
      db: Db;
      jobs: JobQueue;
      applications: { get(id: string): ApplicationConfig | undefined };
      github: GitHubClient;
      /** SLIPWAY_PUBLIC_URL: links in statuses need it (without it, they carry none). */
      publicUrl?: string;
      /** The module's preview URL on an application (absolute, or a path under Slipway), if any. */
      previewUrl?: (slug: string, applicationId: string) => Promise<string | null>;
      clock?: () => number;
      log?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
    },
  ) {
    this.pass = new PeriodicPass({ name: 'git host feedback pass', intervalMs: 60_000, pass: () => this.catchUp(), log: { error: (obj: object, m: string) => o.log?.error(obj, m) } as never });
  }

  register(): void {
    this.o.jobs.register(GIT_HOST_REPORT_JOB, (p: ReportJob) => this.report(p), { concurrency: 1 });
  }

  private follows(applicationId: string): string | undefined {
    return this.o.applications.get(applicationId)?.github?.repository;
  }

  readonly broadcaster: Broadcaster = {
    publish: async (change: DeploymentChange) => {
      if (!change.payload.module_slug) return;
      for (const t of change.payload.targets ?? []) {
        if (this.follows(t.application_id)) await this.queue(this.o.db, Number(change.deploymentId), t.application_id, t.status);
      }
    },
  };

  queue(db: Db, deploymentId: number, applicationId: string, status: string): Promise<number> {
    return this.o.jobs.enqueue(db, {
      type: GIT_HOST_REPORT_JOB,
      payload: { deploymentId, applicationId } satisfies ReportJob,
      key: `${GIT_HOST_REPORT_JOB}:${deploymentId}:${applicationId}:${status}`,
      maxAttempts: 8,
    });
  }

  /** A preview was created or renewed by `deploymentId`: its success status is sent again, with the preview's URL. */
  previewReady(deploymentId: number, applicationId: string): Promise<number> | undefined {
    if (!this.follows(applicationId)) return undefined;
    return this.o.jobs.enqueue(this.o.db, {
      type: GIT_HOST_REPORT_JOB,
      payload: { deploymentId, applicationId, preview: true } satisfies ReportJob,
      key: `${GIT_HOST_REPORT_JOB}:${deploymentId}:${applicationId}:preview`,
      maxAttempts: 8,
    });
  }

  /** The job: GitHub learns the target's status as it is now. */
  async report(p: ReportJob): Promise<{ outcome: string }> {
    const { db } = this.o;
    const repository = this.follows(p.applicationId);
    if (!repository) return { outcome: 'not a GitHub application' };
    const row = await db
      .selectFrom('deployment_targets as t')
      .innerJoin('deployments as d', 'd.id', 't.deployment_id')
      .select(['t.status', 't.commit_sha', 't.url', 't.message', 'd.module_slug', 'd.branch_name', 'd.commit_sha as deployment_commit'])
      .where('t.deployment_id', '=', p.deploymentId)
      .where('t.application_id', '=', p.applicationId)
      .executeTakeFirst();
    if (!row?.module_slug) return { outcome: 'no such module deployment' };
    const sha = row.commit_sha ?? row.deployment_commit;
    if (!sha) return { outcome: 'no commit yet' };
    const states = gitHubStates(row.status);
    const now = new Date((this.o.clock ?? Date.now)()).toISOString();
    let record = await db.selectFrom('git_host_deployments').selectAll().where('deployment_id', '=', p.deploymentId).where('application_id', '=', p.applicationId).executeTakeFirst();
    if (p.preview && row.status !== 'success') return { outcome: 'not successful' };
    if (record?.last_state === states.deployment && !p.preview) return { outcome: `already ${states.deployment}` };
    if (!record) {
      await db
        .insertInto('git_host_deployments')
        .values({ deployment_id: p.deploymentId, application_id: p.applicationId, github_deployment_id: null, last_state: null, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(['deployment_id', 'application_id']).doNothing())
        .execute();
      record = (await db.selectFrom('git_host_deployments').selectAll().where('deployment_id', '=', p.deploymentId).where('application_id', '=', p.applicationId).executeTakeFirst())!;
    }
    let githubId = record.github_deployment_id;
    if (!githubId) {
      githubId = await this.o.github.createDeployment(repository, {
        ref: sha,
        environment: `preview-${row.module_slug}`,
        description: `Slipway: module '${row.module_slug}' on ${p.applicationId}`,
        transient: true,
      });
      await db.updateTable('git_host_deployments').set({ github_deployment_id: githubId, updated_at: now }).where('id', '=', record.id).execute();
    }
    const logUrl = this.o.publicUrl ? dialogUrl(this.o.publicUrl, p.deploymentId) : undefined;
    const environmentUrl = row.status === 'success' ? await this.environmentUrl(row.module_slug, p.applicationId, row.url) : undefined;
    const description = (row.message ?? `${row.status}`).slice(0, 140);
    if (p.preview && !environmentUrl) return { outcome: 'no preview URL' };
    await this.o.github.createDeploymentStatus(repository, githubId, { state: states.deployment, description, environmentUrl, logUrl });
    // The commit's status said success already; the preview only adds the deployment's URL.
    if (!p.preview) await this.o.github.createCommitStatus(repository, sha, { state: states.commit, description, targetUrl: logUrl, context: COMMIT_STATUS_CONTEXT });
    await db.updateTable('git_host_deployments').set({ last_state: states.deployment, updated_at: now }).where('id', '=', record.id).execute();
    return { outcome: `${repository}: ${states.deployment}` };
  }

  /** The preview (made absolute with the public URL), else the target's own URL unless it is a loopback one. */
  private async environmentUrl(slug: string, applicationId: string, targetUrl: string | null): Promise<string | undefined> {
    const preview = await this.o.previewUrl?.(slug, applicationId);
    if (preview) {
      if (/^https?:\/\//.test(preview)) return preview;
      if (this.o.publicUrl) return `${this.o.publicUrl.replace(/\/+$/, '')}${preview}`;
    }
    if (targetUrl && !/^https?:\/\/(127\.|localhost|\[::1\])/.test(targetUrl)) return targetUrl;
    return undefined;
  }

  /** Targets of GitHub applications changed in the last hour: their report is queued (the key makes it once). */
  private async catchUp(): Promise<void> {
    const since = new Date((this.o.clock ?? Date.now)() - 3_600_000).toISOString();
    const rows = await this.o.db
      .selectFrom('deployment_targets as t')
      .innerJoin('deployments as d', 'd.id', 't.deployment_id')
      .select(['t.deployment_id', 't.application_id', 't.status'])
      .where('d.module_slug', 'is not', null)
      .where('t.updated_at', '>', since)
      .execute();
    for (const r of rows) if (this.follows(r.application_id)) await this.queue(this.o.db, r.deployment_id, r.application_id, r.status);
  }

  start(): void {
    this.pass.start();
  }

  stop(): Promise<void> {
    return this.pass.stop();
  }
}
