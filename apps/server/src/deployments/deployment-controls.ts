import { isTerminal, shortSha } from '@slipway/contracts';
import type { ApplicationConfig } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import { dokployApiProblem, dokployClientFor, withImageTag, type DockerSource } from '../dokploy/dokploy.client.ts';
import type { Broadcaster } from './broadcaster.ts';
import { runIdOf } from './github-runs.client.ts';
import type { LiveServices } from './live-services.ts';
import type { DeploymentsService } from './deployments.service.ts';
import type { Viewer } from './deployments.store.ts';

/** Stops a CI run of one target (the local runner's job); false when it runs elsewhere or has ended. */
export interface RunControl {
  cancelRun(db: Db, app: ApplicationConfig, run: RunRef, reason: string): Promise<boolean>;
  /** Queues a new run of the commit for `run.deploymentId`; false when the repository is not Slipway's. */
  rerun(db: Db, app: ApplicationConfig, run: RunRef): Promise<boolean>;
  /** Whether Slipway's runner builds `app` (it hosts the repository). */
  hosts?(app: ApplicationConfig): boolean | Promise<boolean>;
  /** Starts the kept service of `branch` of `app` again; undefined when Slipway runs none for it. */
  startService?(app: ApplicationConfig, branch: string): Promise<'running' | 'started' | 'missing' | undefined>;
}

/** What the controls ask of Dokploy's API (DokployClient). */
export interface DokployControl {
  cancelDeployment(applicationId: string): Promise<string | undefined>;
  dockerSource?(applicationId: string): Promise<DockerSource>;
  saveDockerImage?(applicationId: string, source: DockerSource, dockerImage: string): Promise<void>;
  deploy?(applicationId: string, o?: { title?: string; description?: string }): Promise<void>;
}

/** GitHub's cancel of a workflow run (github-runs.client.ts). */
export interface RunCanceller {
  cancel(repository: string, runId: string): Promise<'cancelled' | 'completed'>;
}

/** What a cancel asked of CI outside Slipway, per application (the answer's `ci_cancels`). */
export interface CiCancel {
  application_id: string;
  ci: 'github' | 'dokploy';
  /** `cancelled`: accepted; `completed`: the run had finished already; `failed`: the call failed. */
  outcome: 'cancelled' | 'completed' | 'failed';
  message: string;
}

interface RunRef {
  branch: string;
  commit: string;
  deploymentId: number;
}

export class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface DeploymentControlsDeps {
  db: Db;
  deployments: DeploymentsService;
  broadcaster: Broadcaster;
  applications: { get(id: string): ApplicationConfig | undefined };
  runner?: RunControl;
  /** GitHub Actions runs are cancelled through it (GITHUB_TOKEN); without it they run on, ignored. */
  github?: RunCanceller;
  /** Environment the applications' Dokploy API keys are read from (`dokploy.apiKeyEnv`). */
  env?: Record<string, string | undefined>;
  /** Dokploy's client for an application (default: its configured API, a 10 s timeout). */
  dokploy?: (app: ApplicationConfig) => DokployControl;
  /** Reports on targets Slipway deploys itself (a Dokploy rollback), and follows Dokploy after it. */
  reporter?: { report(ref: { deploymentId: number; applicationId: string }, r: { status: 'deploying' | 'failed'; message: string; logs?: string[] }): Promise<unknown> };
  confirmation?: { start(ref: { deploymentId: number; applicationId: string }, run: string): Promise<number> };
  /** Adds `live` to what Start answers. */
  live?: LiveServices;
  clock?: () => number;
}

/**
 * The controls on a running deployment (issue #12, item 6). Visibility is the deployments
 * service's: its owner and admins; anyone else gets the 404 of a deployment they cannot see.
 */
export class DeploymentControls {
  constructor(private readonly d: DeploymentControlsDeps) {}

  /**
   * Cancel: every unfinished target ends `cancelled` and its local-runner run is ended, in one
   * transaction, so a restart neither resumes the run nor forgets the cancel. A GitHub Actions run
   * is cancelled through GitHub's API, and a Dokploy build through Dokploy's, before that
   * transaction (their answers go into the reason); whatever they report later is ignored, the
   * target being final (docs/web.md, "Controls").
   */
  async cancel(viewer: Viewer & { email?: string }, id: number) {
    const now = new Date((this.d.clock ?? Date.now)()).toISOString();
    const before = await this.d.deployments.detail(this.d.db, viewer, id);
    if (!before) throw new ControlError(404, 'not_found', `no deployment ${id} that you can see`);
    if (isTerminal(before.status)) throw new ControlError(409, 'finished', `deployment ${id} is ${before.status} already`);
    const ciCancels = await this.cancelOutside(before);
    const changes = await this.d.db.transaction().execute(async (trx) => {
      const d = await this.d.deployments.detail(trx, viewer, id);
      if (!d) throw new ControlError(404, 'not_found', `no deployment ${id} that you can see`);
      if (isTerminal(d.status)) throw new ControlError(409, 'finished', `deployment ${id} is ${d.status} already`);
      const notes = ciCancels.filter((c) => c.outcome !== 'cancelled').map((c) => c.message);
      const reason = `Cancelled${viewer.email ? ` by ${viewer.email}` : ''}${notes.length ? `; ${notes.join('; ')}` : ''}`;
      for (const t of d.targets) {
        const app = this.d.applications.get(t.application_id);
        if (isTerminal(t.status) || !app || !t.commit_sha || !d.branch_name) continue;
        await this.d.runner?.cancelRun(trx, app, { branch: d.branch_name, commit: t.commit_sha, deploymentId: id }, reason);
      }
      return this.d.deployments.failUnfinished(trx, id, reason, now, 'cancelled');
    });
    for (const c of changes) await this.d.broadcaster.publish(c);
    return { ...(await this.d.deployments.detail(this.d.db, viewer, id))!, ci_cancels: ciCancels };
  }

  /**
   * Cancels the unfinished targets' runs outside Slipway: a GitHub Actions run (`gh-<run id>`, the
   * application's `github.repository`), and a Dokploy build (application with a Dokploy API) when
   * the target waits for Dokploy (`deploying`) or has no GitHub run. Never throws: each answer is an outcome.
   */
  private async cancelOutside(d: Deployment): Promise<CiCancel[]> {
    const out: CiCancel[] = [];
    await Promise.all(
      d.targets.map(async (t) => {
        const app = this.d.applications.get(t.application_id);
        if (isTerminal(t.status) || !app) return;
        const runId = runIdOf(t.external_id);
        const repository = app.github?.repository;
        if (runId && repository && this.d.github) {
          try {
            const r = await this.d.github.cancel(repository, runId);
            out.push({
              application_id: t.application_id,
              ci: 'github',
              outcome: r,
              message: r === 'cancelled' ? `${t.application_id}: GitHub run ${runId} cancelled` : `${t.application_id}: GitHub run ${runId} had already completed (GitHub answered 409), so it was not stopped; its result is ignored`,
            });
          } catch (err) {
            out.push({ application_id: t.application_id, ci: 'github', outcome: 'failed', message: `${t.application_id}: GitHub run ${runId} could not be cancelled (${(err as Error).message}); its result is ignored` });
          }
        }
        const dokployId = app.dokploy?.applicationId;
        if (dokployId && !dokployApiProblem(app, this.d.env ?? {}) && (t.status === 'deploying' || !runId)) {
          try {
            const client = this.d.dokploy ? this.d.dokploy(app) : dokployClientFor(app, this.d.env ?? {});
            const said = await client.cancelDeployment(dokployId);
            out.push({ application_id: t.application_id, ci: 'dokploy', outcome: 'cancelled', message: `${t.application_id}: Dokploy application ${dokployId}: ${said ?? 'cancel requested'}` });
          } catch (err) {
            out.push({ application_id: t.application_id, ci: 'dokploy', outcome: 'failed', message: `${t.application_id}: Dokploy could not cancel (${(err as Error).message}); its build finishes on its own and its result is ignored` });
          }
        }
      }),
    );
    return out.sort((a, b) => a.application_id.localeCompare(b.application_id) || a.ci.localeCompare(b.ci));
  }

  /**
   * Start: the module's services that Slipway runs (local runner) and that do not answer are
   * started again from their kept releases, on their ports, when its latest deployment succeeded.
   * Answers that deployment with its `live` state.
   */
  async startServices(viewer: Viewer & { email?: string }, slug: string) {
    const d = await this.d.deployments.statusBySlug(this.d.db, viewer, slug);
    if (!d) throw new ControlError(404, 'not_found', `no deployment of module '${slug}' that you can see`);
    if (d.status !== 'success') throw new ControlError(409, 'not_deployed', `module '${slug}''s latest deployment (${d.deployment_id}) is ${d.status}: only a successful deployment's services are started; Redeploy it instead`);
    const outcomes: { app: string; outcome: string | undefined }[] = [];
    for (const t of d.targets) {
      const app = this.d.applications.get(t.application_id);
      if (!app || t.status !== 'success' || !d.branch_name) continue;
      try {
        outcomes.push({ app: t.application_id, outcome: await this.d.runner?.startService?.(app, d.branch_name) });
      } catch (err) {
        throw new ControlError(409, 'start_failed', `${t.application_id}: ${(err as Error).message}`);
      }
    }
    const ours = outcomes.filter((o) => o.outcome !== undefined);
    if (!ours.length) throw new ControlError(409, 'not_startable', `module '${slug}''s services are not run by Slipway (CI outside Slipway deploys them): start them there`);
    const missing = ours.filter((o) => o.outcome === 'missing');
    if (missing.length) throw new ControlError(409, 'no_release', `${missing.map((o) => o.app).join(', ')}: the kept release is gone; Redeploy the module`);
    return this.d.live ? this.d.live.annotate(d) : d;
  }

  /** Retry: a NEW deployment of the failed targets of finished deployment `id`, same commits, through the pipeline. */
  async retry(viewer: Viewer & { email?: string }, id: number) {
    const d = await this.d.deployments.detail(this.d.db, viewer, id);
    if (!d) throw new ControlError(404, 'not_found', `no deployment ${id} that you can see`);
    if (!isTerminal(d.status)) throw new ControlError(409, 'running', `deployment ${id} is still ${d.status}: cancel it first`);
    const failed = d.targets.filter((t) => t.status === 'failed');
    if (!failed.length) throw new ControlError(409, 'nothing_failed', `deployment ${id} has no failed application to retry`);
    return this.rerun(viewer, d, failed, `Retry of deployment ${id}`);
  }

  /** Redeploy: a NEW deployment of the module's current commits (its latest deployment's), through the pipeline. */
  async redeploy(viewer: Viewer & { email?: string }, slug: string) {
    const d = await this.d.deployments.statusBySlug(this.d.db, viewer, slug);
    if (!d) throw new ControlError(404, 'not_found', `no deployment of module '${slug}' that you can see`);
    if (!isTerminal(d.status)) throw new ControlError(409, 'running', `module '${slug}' is deploying now (deployment ${d.deployment_id})`);
    return this.rerun(viewer, d, d.targets, `Redeploy of ${slug}`);
  }

  /**
   * Rollback (issue #16): a NEW deployment, marked `rollback_of`, of exactly what successful
   * deployment `deploymentId` of module `slug` ran, never the branch head: the local runner builds
   * each target's recorded commit again; a Dokploy application with a `docker` source is set to the
   * image tag `sha-<short>` of that commit and deployed through Dokploy's API, then followed by the
   * confirmation. Refused (409/422) when that deployment did not succeed, belongs to another module,
   * or the module is deploying now.
   */
  async rollback(viewer: Viewer & { email?: string }, slug: string, deploymentId: number) {
    const d = await this.d.deployments.detail(this.d.db, viewer, deploymentId);
    if (!d) throw new ControlError(404, 'not_found', `no deployment ${deploymentId} that you can see`);
    if (d.module_slug !== slug) throw new ControlError(422, 'other_module', `deployment ${deploymentId} is not a deployment of module '${slug}'${d.module_slug ? ` (it deployed '${d.module_slug}')` : ''}`);
    if (d.status !== 'success') throw new ControlError(409, 'not_successful', `deployment ${deploymentId} is ${d.status}: only a successful deployment can be rolled back to`);
    const latest = await this.d.deployments.statusBySlug(this.d.db, viewer, slug);
    if (latest && !isTerminal(latest.status)) throw new ControlError(409, 'running', `module '${slug}' is deploying now (deployment ${latest.deployment_id}): cancel it first`);
    const targets = d.targets.filter((t) => t.status === 'success');
    const label = `Rollback to deployment ${deploymentId}`;
    const local: Deployment['targets'] = [];
    const dokploy: { t: Deployment['targets'][number]; app: ApplicationConfig; tag: string }[] = [];
    for (const t of targets) {
      const app = this.d.applications.get(t.application_id);
      if (!app || !t.commit_sha) throw new ControlError(409, 'no_commit', `${t.application_id}: no known commit or application to roll back to`);
      if (this.d.runner?.hosts && (await this.d.runner.hosts(app))) local.push(t);
      else if (app.dokploy?.applicationId && !dokployApiProblem(app, this.d.env ?? {})) dokploy.push({ t, app, tag: `sha-${shortSha(t.commit_sha)}` });
      else throw new ControlError(409, 'not_rollbackable', `${t.application_id} is deployed by CI outside Slipway with no Dokploy API configured (dokploy.apiUrl, applicationId, apiKeyEnv): roll it back there`);
    }
    // Read every Dokploy source first: an application Dokploy builds from git cannot take an image tag.
    const sources = new Map<string, DockerSource>();
    for (const r of dokploy) {
      const client = this.dokployFor(r.app);
      let source: DockerSource;
      try {
        source = await client.dockerSource!(r.app.dokploy!.applicationId!);
      } catch (err) {
        throw new ControlError(409, 'dokploy_unavailable', `${r.t.application_id}: Dokploy could not be read (${(err as Error).message})`);
      }
      if (source.sourceType !== 'docker' || !source.dockerImage) {
        throw new ControlError(409, 'not_rollbackable', `${r.t.application_id}: Dokploy application ${r.app.dokploy!.applicationId} builds from its ${source.sourceType || 'unknown'} source, not an image: it cannot be set to ${r.tag}`);
      }
      sources.set(r.t.application_id, source);
    }
    const shown = await this.rerun(viewer, d, targets, label, { rollbackOf: deploymentId, local: new Set(local.map((t) => t.application_id)) });
    const newId = Number(shown.deployment_id);
    for (const r of dokploy) {
      const ref = { deploymentId: newId, applicationId: r.t.application_id };
      const source = sources.get(r.t.application_id)!;
      const image = withImageTag(source.dockerImage!, r.tag);
      try {
        const client = this.dokployFor(r.app);
        await client.saveDockerImage!(r.app.dokploy!.applicationId!, source, image);
        await client.deploy!(r.app.dokploy!.applicationId!, { title: `Slipway: ${label}`, description: `Hash: ${r.t.commit_sha}` });
        await this.d.reporter?.report(ref, { status: 'deploying', message: `Dokploy deploys ${image} (${label.toLowerCase()})`, logs: [`Dokploy application ${r.app.dokploy!.applicationId}: image set to ${image}, deployment queued`] });
        await this.d.confirmation?.start(ref, `rollback-${newId}`);
      } catch (err) {
        await this.d.reporter?.report(ref, { status: 'failed', message: `Dokploy could not deploy ${image}: ${(err as Error).message}` });
      }
    }
    return (await this.d.deployments.detail(this.d.db, viewer, newId))!;
  }

  private dokployFor(app: ApplicationConfig): DokployControl {
    return this.d.dokploy ? this.d.dokploy(app) : dokployClientFor(app, this.d.env ?? {});
  }

  private async rerun(viewer: Viewer & { email?: string }, from: Deployment, targets: Deployment['targets'], what: string, rollback?: { rollbackOf: number; local: Set<string> }) {
    const branch = from.branch_name;
    const runs = targets.map((t) => ({ t, app: this.d.applications.get(t.application_id) }));
    const missing = runs.filter((r) => !r.app || !r.t.commit_sha || !branch);
    if (missing.length) throw new ControlError(409, 'no_commit', `${missing.map((r) => r.t.application_id).join(', ')}: no known commit or application to build again`);
    const now = new Date((this.d.clock ?? Date.now)()).toISOString();
    const message = `${what}${viewer.email ? ` by ${viewer.email}` : ''}; ${rollback && !rollback.local.size ? 'waiting for Dokploy' : 'waiting for the pipeline'}`;
    const change = await this.d.db.transaction().execute(async (trx) => {
      const change = await this.d.deployments.create(
        trx,
        { moduleSlug: from.module_slug!, branch: branch!, commit: from.commit_sha, ownerId: from.owner_id, targets: runs.map((r) => ({ applicationId: r.t.application_id, commitSha: r.t.commit_sha })), message, rollbackOf: rollback?.rollbackOf },
        now,
      );
      const deploymentId = Number(change.deploymentId);
      for (const r of runs) {
        // A rollback's Dokploy targets are deployed after this commits (rollback()).
        if (rollback && !rollback.local.has(r.t.application_id)) continue;
        const queued = await this.d.runner?.rerun(trx, r.app!, { branch: branch!, commit: r.t.commit_sha!, deploymentId });
        // Rolled back: Slipway can start only its own runner's pipelines (docs/web.md, "Controls").
        if (!queued) throw new ControlError(409, 'not_rerunnable', `${r.t.application_id} is built by CI outside Slipway: re-run it there`);
      }
      return change;
    });
    await this.d.broadcaster.publish(change);
    return (await this.d.deployments.detail(this.d.db, viewer, Number(change.deploymentId)))!;
  }
}

type Deployment = NonNullable<Awaited<ReturnType<DeploymentsService['detail']>>>;
