import {
  DEFAULT_MODULE_BRANCH_PREFIX,
  parseModuleInput,
  type ApplicationFiles,
  type BranchView,
  type FieldError,
  type GenerateModuleResponse,
  type ModuleDefinition,
  type ModuleView,
} from '@slipway/contracts';
import type { Db } from '../db/database.ts';
import type { ApplicationRegistry } from '../applications/application-registry.ts';
import type { Broadcaster, DeploymentChange } from '../deployments/broadcaster.ts';
import type { DeploymentsService } from '../deployments/deployments.service.ts';
import type { Viewer } from '../deployments/deployments.store.ts';
import { jobError, PermanentJobError, type JobContext, type JobQueue, type JobRow } from '../jobs/job-queue.ts';
import { loadPack, PackError, type PackContents, renderForApplications, TemplateRenderError, UnsafeOutputPathError } from './templates/index.ts';
import { isGitError } from '../git/index.ts';
import { PERMANENT_GIT_ERRORS, type BranchPublisher, type BuildTrigger, type ServiceStopper } from './branch-publisher.ts';
import type { RepositoryPackSource } from './repository-packs.ts';
import { moduleBranchProblems, withBranchDefaults, type BranchRuleContext } from './branch-rules.ts';
import { invalid, ModuleError } from './module-errors.ts';
import { definitionOf, type ModuleRow, type ModulesStore } from './modules.store.ts';

export const PUBLISH_JOB = 'module.publish';
const PUBLISH_ATTEMPTS = 3;

/** The answers' shapes are the contracts' (module-api.ts), shared with the web app. */
export type { BranchView, GenerateModuleResponse, ModuleView } from '@slipway/contracts';

interface PublishJobResult {
  deploymentId: number | null;
  branches: BranchView[];
}


export interface ModulesServiceDeps {
  db: Db;
  store: ModulesStore;
  registry: ApplicationRegistry;
  deployments: DeploymentsService;
  jobs: JobQueue;
  broadcaster: Broadcaster;
  publisher: BranchPublisher;
  /** CI for what a publish pushed, queued with the push's record (the local runner; absent: CI runs elsewhere). */
  builds?: BuildTrigger;
  /** Stops a deleted module's services (the local runner; absent: Slipway runs none). */
  services?: ServiceStopper;
  /** Packs a target repository carries (`.slipway/templates/<pack>` on the base branch): they win over the built-in ones. */
  repositoryPacks?: RepositoryPackSource;
  /** Module branches are `<prefix><slug>` (SLIPWAY_MODULE_BRANCH_PREFIX); `module/` by default. */
  branchPrefix?: string;
  /**
   * How long a create/update call waits for its publish job (SLIPWAY_PUBLISH_WAIT_MS). 0, the default:
   * it answers 202 as soon as the module and its pending deployment are stored, and the publish is
   * followed live through that deployment's events.
   */
  publishWaitMs?: number;
  clock?: () => number;
}

/**
 * Modules: definitions, preview, and publishing as a durable job (render → commit and push each
 * target's branch → one deployment), so a crash mid-publish resumes and nothing is pushed twice.
 */
export class ModulesService {
  private readonly clock: () => number;
  constructor(private readonly d: ModulesServiceDeps) {
    this.clock = d.clock ?? Date.now;
    d.jobs.register(PUBLISH_JOB, (p: { moduleId: number; version: number }, ctx: JobContext) => this.publishJob(p, ctx));
  }

  /** Parses and checks the input against the configured applications. Throws 422 naming fields. */
  validate(input: unknown): ModuleDefinition {
    const parsed = parseModuleInput(input);
    if (!parsed.ok) throw invalid(parsed.errors);
    const problems: FieldError[] = [];
    parsed.module.applications.forEach((id, i) => {
      const app = this.d.registry.get(id);
      if (!app) problems.push({ field: `applications.${i}`, message: `unknown application '${id}' (known: ${this.d.registry.list().map((a) => a.id).join(', ') || 'none'})` });
      else if (parsed.module.git.enabled && !app.repoUrl) problems.push({ field: `applications.${i}`, message: `application '${id}' has no git repository configured` });
    });
    if (problems.length) throw invalid(problems);
    const rules = this.branchRules(parsed.module.applications);
    const m = withBranchDefaults(parsed.module, input, rules);
    const branchProblems = moduleBranchProblems(m, rules);
    if (branchProblems.length) throw invalid(branchProblems);
    return m;
  }

  /** Who owns the module published on `<prefix><slug>` (null: no such module, or no owner); for git push rights. */
  ownerOf(slug: string): Promise<number | null> {
    return this.d.store.ownerOf(this.d.db, slug);
  }

  private branchRules(applications: readonly string[]): BranchRuleContext {
    return {
      prefix: this.d.branchPrefix ?? DEFAULT_MODULE_BRANCH_PREFIX,
      targets: applications.map((id) => ({ id, baseBranch: this.d.registry.get(id)!.baseBranch })),
      baseBranches: this.d.registry.list().map((a) => a.baseBranch),
    };
  }

  async preview(input: unknown): Promise<ApplicationFiles[]> {
    return this.render(this.validate(input), new Date(this.clock()));
  }

  /** Every file per application. A pack that cannot be read or rendered is the user's to fix: 4xx/502. */
  private async render(m: ModuleDefinition, generatedAt: Date): Promise<ApplicationFiles[]> {
    return this.withPacks(m, (targets, load) => renderForApplications(m, targets, load, generatedAt));
  }

  /**
   * Reads every target's pack without rendering it: an unreadable repository (502) or a bad pack
   * (422) is refused before anything is stored, at the cost of a ref lookup, not of a sandboxed render.
   */
  private async readPacks(m: ModuleDefinition): Promise<void> {
    await this.withPacks(m, async (targets, load) => {
      for (const t of targets) await load(t);
    });
  }

  private async withPacks<T>(
    m: ModuleDefinition,
    use: (targets: { id: string; pack: string }[], load: (t: { id: string; pack: string }) => Promise<PackContents>) => Promise<T>,
  ): Promise<T> {
    const targets = m.applications.map((id) => ({ id, pack: this.d.registry.packOf(this.d.registry.get(id)!) }));
    const repoPack = async (t: { id: string; pack: string }) => {
      try {
        return await this.d.repositoryPacks?.load(this.d.registry.get(t.id)!, t.pack, m.git.baseBranch);
      } catch (err) {
        if (!isGitError(err)) throw err;
        throw new ModuleError(502, err.code, `cannot read template pack '${t.pack}' from ${t.id}'s repository: ${err.message}`);
      }
    };
    try {
      return await use(targets, async (t) => (await repoPack(t)) ?? loadPack(t.pack));
    } catch (err) {
      if (err instanceof PackError || err instanceof TemplateRenderError || err instanceof UnsafeOutputPathError) {
        throw new ModuleError(422, 'template_error', err.message);
      }
      throw err;
    }
  }

  async create(viewer: Viewer, input: unknown): Promise<GenerateModuleResponse> {
    const m = this.validate(input);
    const now = new Date(this.clock()).toISOString();
    // Checked first: a bad pack or an unreadable repository is refused before anything is stored.
    const files = await this.checkFiles(m, new Date(now));
    const { row, jobId, change } = await this.d.db.transaction().execute(async (trx) => {
      if (await this.d.store.bySlug(trx, m.slug)) throw new ModuleError(409, 'slug_taken', `a module with slug '${m.slug}' exists already`);
      const row = await this.d.store.insert(trx, m, viewer.id, now);
      return { row, ...(await this.storePublish(trx, row)) };
    });
    if (change) this.d.broadcaster.publish(change);
    return this.answer(viewer, row, jobId, files);
  }

  async update(viewer: Viewer, slug: string, input: unknown): Promise<GenerateModuleResponse> {
    const current = await this.mustSee(viewer, slug);
    const m = this.validate({ ...(input as object), slug });
    const files = await this.checkFiles(m, new Date(current.created_at));
    const { row, jobId, change } = await this.d.db.transaction().execute(async (trx) => {
      const row = await this.d.store.update(trx, current, m, new Date(this.clock()).toISOString());
      return { row, ...(await this.storePublish(trx, row)) };
    });
    if (change) this.d.broadcaster.publish(change);
    return this.answer(viewer, row, jobId, files);
  }

  /**
   * Deletes the module and stops the services its branch runs (local runner). With `deleteBranches`,
   * first deletes its branch in each target repository: a git failure is a 502 and keeps the module,
   * so the call can be repeated (deleting is idempotent).
   */
  async remove(viewer: Viewer, slug: string, o: { deleteBranches?: boolean } = {}): Promise<{ deletedBranches: BranchView[] }> {
    const row = await this.mustSee(viewer, slug);
    const m = definitionOf(row);
    const targets = m.git.enabled && m.git.branchName ? m.applications.map((id) => this.d.registry.get(id)).filter((a) => a?.repoUrl) : [];
    const deletedBranches: BranchView[] = [];
    if (o.deleteBranches) {
      for (const app of targets) {
        try {
          const head = await this.d.publisher.deleteBranch(app!, m.git.branchName!);
          if (head) deletedBranches.push({ application: app!.id, branch: m.git.branchName!, commit: head });
        } catch (err) {
          if (!isGitError(err)) throw err;
          throw new ModuleError(502, err.code, `module kept: deleting ${m.git.branchName} in ${app!.id}'s repository failed: ${err.message}`);
        }
      }
    }
    await this.d.store.delete(this.d.db, row.id);
    for (const app of targets) await this.d.services?.stopServices(app!, m.git.branchName!);
    return { deletedBranches };
  }

  async list(viewer: Viewer): Promise<ModuleView[]> {
    const rows = await this.d.store.list(this.d.db, viewer);
    return Promise.all(rows.map((r) => this.view(viewer, r)));
  }

  async get(viewer: Viewer, slug: string): Promise<ModuleView> {
    return this.view(viewer, await this.mustSee(viewer, slug));
  }

  private async mustSee(viewer: Viewer, slug: string): Promise<ModuleRow> {
    const row = await this.d.store.getVisible(this.d.db, viewer, slug);
    if (!row) throw new ModuleError(404, 'not_found', `no module '${slug}' that you can see`);
    return row;
  }

  private async view(viewer: Viewer, row: ModuleRow): Promise<ModuleView> {
    const latest = await this.d.deployments.statusBySlug(this.d.db, viewer, row.slug);
    return { ...definitionOf(row), owner_id: row.owner_id, created_at: row.created_at, updated_at: row.updated_at, latest_deployment: latest ?? null };
  }

  /**
   * Waiting for the publish (publishWaitMs > 0): renders here, so a template error is a 422 and the
   * answer carries the files. Answering at once: only reads the packs (a sandboxed render of a
   * repository's pack takes about a second per application); the job renders, and a template error
   * then fails the deployment with its reason. Files: the preview shows them.
   */
  private async checkFiles(m: ModuleDefinition, generatedAt: Date): Promise<ApplicationFiles[]> {
    if ((this.d.publishWaitMs ?? 0) > 0) return this.render(m, generatedAt);
    await this.readPacks(m);
    return [];
  }

  /**
   * The publish job and, for a git module, its pending deployment, in the caller's transaction with
   * the module: the answer can name the deployment at once, before anything is pushed.
   */
  private async storePublish(trx: Db, row: ModuleRow): Promise<{ jobId: number; change: DeploymentChange | null }> {
    const p = { moduleId: row.id, version: row.version };
    const m = definitionOf(row);
    const opened = m.git.enabled ? await this.openDeploymentIn(trx, publishKeyOf(p), m.slug, m.git.branchName!, row.owner_id, m.applications) : undefined;
    const jobId = await this.d.jobs.enqueue(trx, { type: PUBLISH_JOB, payload: p, key: publishKeyOf(p), maxAttempts: PUBLISH_ATTEMPTS });
    return { jobId, change: opened?.change ?? null };
  }

  /** Answers at once (or after waiting publishWaitMs for the publish job): the module, its files, its deployment. */
  private async answer(viewer: Viewer, row: ModuleRow, jobId: number, files: ApplicationFiles[]): Promise<GenerateModuleResponse> {
    const waitMs = this.d.publishWaitMs ?? 0;
    const job: JobRow | undefined = waitMs > 0 ? await this.d.jobs.waitFor(jobId, waitMs) : undefined;
    if (job?.status === 'failed') {
      const e = jobError(job);
      throw new ModuleError(502, e?.code ?? 'publish_failed', `module saved, but publishing failed: ${e?.message ?? 'unknown error'}`);
    }
    const module = await this.view(viewer, row);
    const result = job?.status === 'done' ? (JSON.parse(job.result ?? 'null') as PublishJobResult) : undefined;
    // Still publishing (202): its deployment exists from the start, pending.
    const deploymentId = result ? result.deploymentId : await this.d.deployments.published(this.d.db, publishKeyOf({ moduleId: row.id, version: row.version }));
    const deployment = deploymentId ? ((await this.d.deployments.detail(this.d.db, { id: viewer.id, role: 'admin' }, deploymentId)) ?? null) : null;
    return { module, deployment, files, branches: result?.branches ?? [] };
  }

  /**
   * The job: idempotent, so a run after a crash pushes nothing twice and uses the same deployment.
   * The deployment exists (pending, a target per application) before the first push; each push is
   * then recorded on its target together with its CI build in one transaction (docs/publish.md).
   */
  private async publishJob(p: { moduleId: number; version: number }, ctx: JobContext): Promise<PublishJobResult> {
    const row = await this.d.store.get(this.d.db, p.moduleId);
    if (!row) throw new PermanentJobError('the module was deleted before it was published', 'not_found');
    if (row.version !== p.version) return { deploymentId: null, branches: [] }; // a newer version's job publishes
    const m = definitionOf(row);
    if (!m.git.enabled) return { deploymentId: null, branches: [] };
    // Checked again here: the job may run after the configuration changed, and it pushes with Slipway's credentials.
    const wrong = m.applications.every((id) => this.d.registry.get(id)) ? moduleBranchProblems(m, this.branchRules(m.applications)) : [];
    if (wrong.length) throw new PermanentJobError(wrong.map((w) => `${w.field}: ${w.message}`).join('; '), 'invalid_branch');
    const branch = m.git.branchName!;
    const gone = m.applications.find((id) => !this.d.registry.get(id));
    if (gone) throw new PermanentJobError(`application '${gone}' is no longer configured`, 'unknown_application');
    const owner = row.owner_id ? await this.d.db.selectFrom('users').select('email').where('id', '=', row.owner_id).executeTakeFirst() : undefined;
    const deploymentId = await this.openDeployment(publishKeyOf(p), m.slug, branch, row.owner_id, m.applications);
    const branches: BranchView[] = [];
    let current = '';
    try {
      const packs = m.applications.map((id) => `${id} (${this.d.registry.packOf(this.d.registry.get(id)!)})`).join(', ');
      await this.say(deploymentId, null, `Rendering ${m.slug} for ${packs}`);
      const files = await this.render(m, new Date(row.created_at));
      const apps = files.map((f) => ({ app: this.d.registry.get(f.application)!, files: f }));
      for (const { app, files: appFiles } of apps) {
        current = app.id;
        // Said before the push, so the dialog shows publishing per application before CI's stages.
        await this.say(deploymentId, app.id, `Rendered ${appFiles.files.length} file${appFiles.files.length === 1 ? '' : 's'} (${appFiles.pack}); pushing ${branch} to ${app.id}`);
        const r = await this.d.publisher.publish(app, {
          branch,
          baseBranch: m.git.baseBranch,
          files: appFiles.files,
          message: `${p.version === 1 ? 'Add' : 'Update'} module ${m.slug} (${appFiles.pack})`,
          author: { name: 'Slipway', email: owner?.email ?? 'slipway@localhost' },
        });
        const now = new Date(this.clock()).toISOString();
        const change = await this.d.db.transaction().execute(async (trx) => {
          const recorded = await this.d.deployments.recordPush(trx, { deploymentId, applicationId: app.id, commit: r.commit, unchanged: r.commit === r.previous }, now);
          if (recorded.build) await this.d.builds?.pushed(trx, app, branch, r.commit);
          return recorded.change;
        });
        if (change) this.d.broadcaster.publish(change);
        branches.push({ application: app.id, branch, commit: r.commit });
      }
    } catch (err) {
      const code = (err as { code?: string }).code;
      const why = current ? `${current}: ${(err as Error).message}` : (err as Error).message;
      // A template error will not go away by retrying; an unreadable repository might.
      const refused = (code && PERMANENT_GIT_ERRORS.has(code)) || (err instanceof ModuleError && err.status === 422);
      const permanent = refused ? new PermanentJobError(why, code ?? 'publish_failed') : undefined;
      // The job gives up: the deployment says why at once, rather than waiting for the watchdog.
      if (permanent || ctx.attempt >= PUBLISH_ATTEMPTS) await this.failDeployment(deploymentId, `Publishing ${branch} failed: ${why}`);
      throw permanent ?? err;
    }
    return { deploymentId, branches };
  }

  /** The publish's deployment: created once, before anything is pushed, and found again by a re-run. */
  private async openDeployment(publishKey: string, slug: string, branch: string, ownerId: number | null, applications: string[]): Promise<number> {
    const { id, change } = await this.d.db.transaction().execute((trx) => this.openDeploymentIn(trx, publishKey, slug, branch, ownerId, applications));
    if (change) this.d.broadcaster.publish(change);
    return id;
  }

  private async openDeploymentIn(trx: Db, publishKey: string, slug: string, branch: string, ownerId: number | null, applications: readonly string[]) {
    const existing = await this.d.deployments.published(trx, publishKey);
    if (existing) return { id: existing, change: null };
    const change = await this.d.deployments.create(
      trx,
      {
        moduleSlug: slug,
        branch,
        commit: null,
        ownerId,
        publishKey,
        targets: applications.map((applicationId) => ({ applicationId, commitSha: null })),
        message: `Publishing ${branch} to ${applications.join(', ')}`,
      },
      new Date(this.clock()).toISOString(),
    );
    return { id: Number(change.deploymentId), change };
  }

  /** A publish step on the deployment's live log (on the application's target, or the whole deployment). */
  private async say(deploymentId: number, applicationId: string | null, message: string): Promise<void> {
    const change = await this.d.deployments.note(this.d.db, deploymentId, applicationId, message, new Date(this.clock()).toISOString());
    if (change) this.d.broadcaster.publish(change);
  }

  private async failDeployment(deploymentId: number, reason: string): Promise<void> {
    const changes = await this.d.db.transaction().execute((trx) => this.d.deployments.failUnfinished(trx, deploymentId, reason, new Date(this.clock()).toISOString()));
    for (const c of changes) this.d.broadcaster.publish(c);
  }
}

/** Names one publish (module and version): its job's key and its deployment's. */
function publishKeyOf(p: { moduleId: number; version: number }): string {
  return `publish:${p.moduleId}:v${p.version}`;
}
