import type { ApplicationConfig } from '../config/config.ts';
import type { Db } from '../db/database.ts';
import type { Broadcaster, DeploymentChange } from '../deployments/broadcaster.ts';
import type { Viewer } from '../deployments/deployments.store.ts';
import { DokployClient, dokployClientFor } from '../dokploy/dokploy.client.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { Duty } from '../jobs/leader-lock.ts';
import { PeriodicPass } from '../jobs/periodic-pass.ts';
import { hostedAppOf, localRepoPath } from '../git/index.ts';
import { gitEnv, runGit } from '../git/git-runner.ts';
import { makeScrubber } from '../git/scrub.ts';
import { PreviewsStore, type PreviewRow } from './previews.store.ts';

export const PREVIEW_SYNC_JOB = 'previews.sync';

/** What the local runner offers previews: where a branch's service listens, and stopping it. */
export interface PreviewRuntime {
  /** The loopback address of the service `branch` of `app` runs here; undefined when it runs none. */
  serviceAddress(app: ApplicationConfig, branch: string): Promise<{ host: string; port: number } | undefined>;
  stopServices(app: ApplicationConfig, branch: string): Promise<void>;
}

export interface PreviewLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface PreviewsServiceOptions {
  db: Db;
  jobs: JobQueue;
  applications: { get(id: string): ApplicationConfig | undefined };
  runner?: PreviewRuntime;
  /** Environment the Dokploy API keys are read from (`dokploy.apiKeyEnv`). */
  env: Record<string, string | undefined>;
  /** `<dataDir>/repos`: a hosted module branch merged into its base (a person's push) tears its previews down. */
  reposDir?: string;
  /**
   * Whether `branch` of a GitHub application was merged there (a merged pull request into its base
   * branch): its previews are torn down by the leader's pass. Its answer names the pull request.
   */
  mergedOnGitHub?: (app: ApplicationConfig, branch: string) => Promise<{ number: number } | undefined>;
  /** SLIPWAY_PREVIEW_TTL_HOURS, in milliseconds. */
  ttlMs: number;
  /** How often the leader expires previews and catches up missed deploys (default 1 min). */
  intervalMs?: number;
  clock?: () => number;
  dokployTimeoutMs?: number;
  fetch?: typeof fetch;
  log?: PreviewLog;
}

/** The answer of `GET /api/admin/previews`, one per module and application. */
export interface PreviewView {
  module_slug: string;
  application_id: string;
  branch: string;
  kind: 'local' | 'dokploy';
  state: 'active' | 'failed' | 'torn_down';
  url: string | null;
  deployment_id: number | null;
  commit_sha: string | null;
  message: string | null;
  created_at: string;
  deployed_at: string;
  torn_down_at: string | null;
  /** When it expires (active ones): its last deploy plus the TTL. */
  expires_at: string | null;
  owner_id: number | null;
}

/** `/preview/<slug>/<app>/`: where a local preview answers, under Slipway's own origin. */
export const localPreviewPath = (slug: string, app: string) => `/preview/${encodeURIComponent(slug)}/${encodeURIComponent(app)}/`;

/**
 * Preview environments (docs/previews.md): one per module and application. A module's successful
 * deployment creates or renews them (a durable job per deployment); the leader's pass tears down
 * those whose TTL passed without a deploy; deleting the module, merging its branch or a person's
 * "Tear down" removes them. Local ones are the runner's services behind Slipway's proxy; Dokploy
 * ones are a Dokploy application per module running the `module-<slug>` image on a templated domain.
 */
export class PreviewsService implements Duty {
  readonly store = new PreviewsStore();
  private readonly listeners: ((deploymentId: number, applicationId: string) => unknown)[] = [];
  private readonly clock: () => number;
  private readonly pass: PeriodicPass<void>;

  constructor(private readonly o: PreviewsServiceOptions) {
    this.clock = o.clock ?? Date.now;
    this.pass = new PeriodicPass({
      name: 'previews pass',
      intervalMs: o.intervalMs ?? 60_000,
      pass: () => this.runPass(),
      log: { error: (obj: object, msg: string) => o.log?.error(obj, msg) } as never,
    });
  }

  register(): void {
    this.o.jobs.register(PREVIEW_SYNC_JOB, (p: { deploymentId: number }) => this.sync(p.deploymentId), { concurrency: 2 });
  }

  /** Called after a deployment created or renewed a preview (the git host feedback sends its URL). */
  onRenewed(listener: (deploymentId: number, applicationId: string) => unknown): void {
    this.listeners.push(listener);
  }

  private async renewed(deploymentId: number, applicationId: string): Promise<void> {
    for (const l of this.listeners) await l(deploymentId, applicationId);
  }

  private now(): string {
    return new Date(this.clock()).toISOString();
  }

  /** Broadcaster: a module's deployment that succeeded queues its preview sync (once per deployment). */
  readonly broadcaster: Broadcaster = {
    publish: (change: DeploymentChange) => {
      if (change.payload.status !== 'success' || !change.payload.module_slug) return;
      return this.queueSync(this.o.db, Number(change.deploymentId)).then(() => undefined);
    },
  };

  queueSync(db: Db, deploymentId: number): Promise<number> {
    return this.o.jobs.enqueue(db, { type: PREVIEW_SYNC_JOB, payload: { deploymentId }, key: `${PREVIEW_SYNC_JOB}:${deploymentId}`, maxAttempts: 5 });
  }

  /**
   * The job: creates or renews the previews of a successful deployment's applications. A Dokploy
   * preview is created once (application, image, domain) and deployed again at each renewal.
   */
  async sync(deploymentId: number): Promise<{ outcome: string }> {
    const { db } = this.o;
    const d = await db.selectFrom('deployments').select(['id', 'module_slug', 'branch_name', 'status', 'commit_sha']).where('id', '=', deploymentId).executeTakeFirst();
    if (!d || d.status !== 'success' || !d.module_slug || !d.branch_name) return { outcome: 'not a successful module deployment' };
    const module = await db.selectFrom('modules').select('slug').where('slug', '=', d.module_slug).executeTakeFirst();
    if (!module) return { outcome: 'module deleted' };
    // A newer deployment of the module renewed it already: nothing to redo for an older one.
    const newer = await db.selectFrom('previews').select('id').where('module_slug', '=', d.module_slug).where('deployment_id', '>', deploymentId).executeTakeFirst();
    if (newer) return { outcome: 'superseded' };
    const targets = await db.selectFrom('deployment_targets').select(['application_id', 'status', 'commit_sha']).where('deployment_id', '=', deploymentId).execute();
    const done: string[] = [];
    for (const t of targets.filter((x) => x.status === 'success')) {
      const app = this.o.applications.get(t.application_id);
      if (!app) continue;
      const base = { slug: d.module_slug, applicationId: app.id, branch: d.branch_name, deploymentId, commit: t.commit_sha ?? d.commit_sha };
      if (app.dokploy?.previews) {
        try {
          await this.syncDokploy(app, base);
        } catch (err) {
          // Said in the page; a refusal (bad key, unknown environment) is final, an outage is retried.
          await this.markFailed(app.id, base, `Dokploy preview: ${(err as Error).message}`);
          if ((err as { permanent?: boolean }).permanent !== false) return { outcome: `failed: ${(err as Error).message}` };
          throw err;
        }
        await this.renewed(deploymentId, app.id);
        done.push(`${app.id}: dokploy`);
      } else if (this.o.runner && (await this.o.runner.serviceAddress(app, d.branch_name))) {
        await this.store.renew(db, { ...base, kind: 'local', url: localPreviewPath(d.module_slug, app.id), now: this.now() });
        await this.renewed(deploymentId, app.id);
        done.push(`${app.id}: local`);
      }
    }
    if (done.length) this.o.log?.info({ deploymentId, module: d.module_slug }, `previews of '${d.module_slug}' renewed (${done.join(', ')})`);
    return { outcome: done.length ? done.join(', ') : 'no preview' };
  }

  private async syncDokploy(app: ApplicationConfig, p: { slug: string; applicationId: string; branch: string; deploymentId: number; commit: string | null }): Promise<void> {
    const cfg = app.dokploy!;
    const client = this.dokploy(app);
    const existing = await this.store.get(this.o.db, p.slug, app.id);
    const host = cfg.previewDomain!.replaceAll('{slug}', p.slug);
    const url = `${cfg.previewHttps ? 'https' : 'http'}://${host}/`;
    let externalId = existing?.state === 'active' ? existing.external_id : null;
    // A preview that failed half-way (created, then refused): its Dokploy application goes, and it is made again.
    if (existing?.state === 'failed' && existing.external_id) {
      await client.deleteApplication(existing.external_id).catch(() => undefined);
      await this.store.setExternalId(this.o.db, existing.id, null, existing.url, this.now());
    }
    if (!externalId) {
      externalId = await client.createApplication({
        name: `${app.id} ${p.slug} (preview)`,
        appName: `${app.id}-${p.slug}`.slice(0, 60),
        description: `Slipway preview of module '${p.slug}' (${p.branch})`,
        environmentId: cfg.environmentId!,
      });
      // Recorded at once: a failure below leaves no Dokploy application that Slipway forgot.
      await this.store.renew(this.o.db, { ...p, kind: 'dokploy', url, externalId, now: this.now() });
      await client.saveDockerProvider(externalId, `${cfg.image}:module-${p.slug.replace(/[^A-Za-z0-9._-]+/g, '-')}`);
      await client.createDomain({ applicationId: externalId, host, port: cfg.previewPort ?? 3000, https: cfg.previewHttps ?? false });
    }
    await client.deploy(externalId);
    await this.store.renew(this.o.db, { ...p, kind: 'dokploy', url, externalId, now: this.now() });
  }

  private async markFailed(applicationId: string, p: { slug: string; branch: string; deploymentId: number; commit: string | null }, message: string): Promise<void> {
    const row = await this.store.get(this.o.db, p.slug, applicationId);
    if (!row) await this.store.renew(this.o.db, { ...p, applicationId, kind: 'dokploy', url: null, now: this.now() });
    const id = row?.id ?? (await this.store.get(this.o.db, p.slug, applicationId))!.id;
    await this.store.setState(this.o.db, id, 'failed', message, this.now());
    this.o.log?.warn({ module: p.slug, app: applicationId }, message);
  }

  private dokploy(app: ApplicationConfig): DokployClient {
    return dokployClientFor(app, this.o.env, { timeoutMs: this.o.dokployTimeoutMs ?? 10_000, fetch: this.o.fetch });
  }

  /**
   * Tears down every active preview of the module: the local runner's services stop (a later
   * deploy starts them again), a Dokploy preview application is deleted. The rows stay, `torn_down`
   * with the reason. Returns how many were torn down.
   */
  async tearDown(slug: string, reason: string, o: { applicationId?: string } = {}): Promise<{ outcome: string; count: number }> {
    let count = 0;
    for (const row of await this.store.ofModule(this.o.db, slug)) {
      if (row.state === 'torn_down' || (o.applicationId && row.application_id !== o.applicationId)) continue;
      await this.tearDownRow(row, reason);
      count++;
    }
    return { outcome: `${count} torn down: ${reason}`, count };
  }

  private async tearDownRow(row: PreviewRow, reason: string): Promise<void> {
    const app = this.o.applications.get(row.application_id);
    if (row.kind === 'dokploy' && row.external_id && app?.dokploy?.apiUrl) {
      try {
        await this.dokploy(app).deleteApplication(row.external_id);
      } catch (err) {
        // Already gone in Dokploy: nothing left to remove.
        if ((err as { kind?: string }).kind !== 'not_found') throw err;
      }
    }
    if (row.kind === 'local' && app) await this.o.runner?.stopServices(app, row.branch);
    await this.store.setState(this.o.db, row.id, 'torn_down', reason, this.now());
    this.o.log?.info({ module: row.module_slug, app: row.application_id }, `preview of '${row.module_slug}' on ${row.application_id} torn down: ${reason}`);
  }

  /** Tears down the preview `branch` of an application runs (the module was deleted). */
  async tearDownBranch(applicationId: string, branch: string, reason: string): Promise<number> {
    const rows = await this.o.db.selectFrom('previews').selectAll().where('application_id', '=', applicationId).where('branch', '=', branch).where('state', '!=', 'torn_down').execute();
    for (const row of rows) await this.tearDownRow(row, reason);
    return rows.length;
  }

  /** Active previews whose last deploy is older than the TTL are torn down. Returns how many. */
  async expire(): Promise<number> {
    const before = new Date(this.clock() - this.o.ttlMs).toISOString();
    const hours = Math.round((this.o.ttlMs / 3_600_000) * 10) / 10;
    let n = 0;
    for (const row of await this.store.expired(this.o.db, before)) {
      try {
        await this.tearDownRow(row, `expired: no deploy for ${hours} h`);
        n++;
      } catch (err) {
        this.o.log?.warn({ err, module: row.module_slug, app: row.application_id }, 'preview expiry: teardown failed (tried again at the next pass)');
      }
    }
    return n;
  }

  /**
   * Active previews whose module branch is merged into the application's base branch: in a
   * repository Slipway hosts, its head is an ancestor of the base's; on GitHub, a pull request of it
   * was merged. Torn down; returns how many.
   */
  async tearDownMerged(): Promise<number> {
    const reposDir = this.o.reposDir;
    const scrub = makeScrubber([]);
    let n = 0;
    for (const row of await this.store.active(this.o.db)) {
      const app = this.o.applications.get(row.application_id);
      const hosted = app?.repoUrl && reposDir ? hostedAppOf(reposDir, app.repoUrl) : null;
      if (app && !hosted && app.github?.repository && this.o.mergedOnGitHub) {
        try {
          const pr = await this.o.mergedOnGitHub(app, row.branch);
          if (pr) {
            await this.tearDownRow(row, `merged into ${app.baseBranch} (pull request #${pr.number})`);
            n++;
          }
        } catch (err) {
          this.o.log?.warn({ err, module: row.module_slug, app: row.application_id }, 'preview: asking GitHub whether its branch was merged failed (asked again at the next pass)');
        }
        continue;
      }
      if (!app || !hosted || !reposDir) continue;
      const cwd = localRepoPath(reposDir, hosted);
      const git = (args: string[]) => runGit(args, { cwd, env: gitEnv(), timeoutMs: 30_000, scrub, okCodes: [1, 128] });
      const rev = async (ref: string) => {
        const r = await git(['rev-parse', '--verify', '--quiet', `refs/heads/${ref}^{commit}`]);
        return r.code === 0 ? r.stdout.toString().trim() : undefined;
      };
      const head = await rev(row.branch);
      const base = await rev(app.baseBranch);
      if (!head || !base) continue;
      if ((await git(['merge-base', '--is-ancestor', head, base])).code !== 0) continue;
      try {
        await this.tearDownRow(row, `merged into ${app.baseBranch}`);
        n++;
      } catch (err) {
        this.o.log?.warn({ err, module: row.module_slug, app: row.application_id }, 'preview of a merged branch: teardown failed (tried again at the next pass)');
      }
    }
    return n;
  }

  /** The leader's pass: expiry, merged branches, and a sync for recent successes a crash may have left unqueued (their key makes it once). */
  private async runPass(): Promise<void> {
    await this.expire();
    await this.tearDownMerged();
    const since = new Date(this.clock() - 3_600_000).toISOString();
    const recent = await this.o.db
      .selectFrom('deployments')
      .select('id')
      .where('status', '=', 'success')
      .where('module_slug', 'is not', null)
      .where('finished_at', '>', since)
      .orderBy('id')
      .execute();
    for (const r of recent) await this.queueSync(this.o.db, r.id);
  }

  start(): void {
    this.pass.start();
  }

  stop(): Promise<void> {
    return this.pass.stop();
  }

  runOnce(): Promise<void> {
    return this.pass.runOnce();
  }

  /** Previews the viewer may see: an admin every one, a member those of their own modules. */
  async list(viewer: Viewer): Promise<PreviewView[]> {
    const rows = await this.store.list(this.o.db, viewer.role === 'admin' ? {} : { ownerId: viewer.id });
    return rows.map((r) => ({
      module_slug: r.module_slug,
      application_id: r.application_id,
      branch: r.branch,
      kind: r.kind,
      state: r.state,
      url: r.url,
      deployment_id: r.deployment_id,
      commit_sha: r.commit_sha,
      message: r.message,
      created_at: r.created_at,
      deployed_at: r.deployed_at,
      torn_down_at: r.torn_down_at,
      expires_at: r.state === 'active' ? new Date(Date.parse(r.deployed_at) + this.o.ttlMs).toISOString() : null,
      owner_id: r.owner_id,
    }));
  }

  ofModule(slug: string): Promise<PreviewRow[]> {
    return this.store.ofModule(this.o.db, slug);
  }

  /** The module's active preview URL on an application (a path under Slipway for local ones), else null. */
  async urlOf(slug: string, applicationId: string): Promise<string | null> {
    const row = await this.store.get(this.o.db, slug, applicationId);
    return row?.state === 'active' ? row.url : null;
  }

  /**
   * The preview path of a service URL of the module (`http://127.0.0.1:<port>/api/x` →
   * `/preview/<slug>/<app>/api/x`) when its local preview is active; else null.
   */
  async previewOf(slug: string, applicationId: string, url: string | null): Promise<string | null> {
    const row = await this.store.get(this.o.db, slug, applicationId);
    if (row?.kind === 'dokploy') return row.state === 'active' ? row.url : null;
    if (!(await this.localServes(slug, row))) return null;
    let rest = '';
    try {
      if (url) {
        const u = new URL(url);
        if (['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) rest = `${u.pathname.replace(/^\//, '')}${u.search}`;
      }
    } catch {
      /* not a URL: the preview's root */
    }
    return localPreviewPath(slug, applicationId) + rest;
  }

  /**
   * Whether a local preview answers: an active row; or, in the moment between a successful
   * deployment and its sync job, no row yet (or one torn down before that deployment) while the
   * module has a successful deployment newer than what tore it down.
   */
  private async localServes(slug: string, row: PreviewRow | undefined): Promise<boolean> {
    if (row?.state === 'active') return row.kind === 'local';
    if (row?.state === 'failed') return false;
    const latest = await this.o.db
      .selectFrom('deployments')
      .select('id')
      .where('module_slug', '=', slug)
      .where('status', '=', 'success')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!latest) return false;
    const module = await this.o.db.selectFrom('modules').select('slug').where('slug', '=', slug).executeTakeFirst();
    return Boolean(module) && (!row || latest.id > (row.deployment_id ?? 0));
  }

  /** Where `/preview/<slug>/<app>/` forwards to: the active local preview's service, else undefined. */
  async target(slug: string, applicationId: string): Promise<{ host: string; port: number } | undefined> {
    const row = await this.store.get(this.o.db, slug, applicationId);
    if (row?.kind === 'dokploy' || !(await this.localServes(slug, row))) return undefined;
    const app = this.o.applications.get(applicationId);
    if (!app || !this.o.runner) return undefined;
    const branch = row?.branch ?? (await this.o.db.selectFrom('deployments').select('branch_name').where('module_slug', '=', slug).where('status', '=', 'success').orderBy('id', 'desc').limit(1).executeTakeFirst())?.branch_name;
    return branch ? this.o.runner.serviceAddress(app, branch) : undefined;
  }
}
