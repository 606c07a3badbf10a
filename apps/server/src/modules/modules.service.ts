import {
  checkRenames,
  CONFLICT_RESOLUTIONS,
  dataLossWarnings,
  schemaChanges,
  DEFAULT_MODULE_BRANCH_PREFIX,
  parseModuleInput,
  type ApplicationUpdatePreview,
  type ConflictResolution,
  type FileConflict,
  type ModuleUpdatePreview,
  type ApplicationFiles,
  type BranchView,
  type FieldError,
  type GenerateModuleResponse,
  type ModuleDefinition,
  type ModuleView,
} from '@slipway/contracts';
import type { Db } from '../db/database.ts';
import type { ApplicationRegistry } from '../applications/application-registry.ts';
import type { ApplicationConfig } from '../config/config.ts';
import type { Broadcaster, DeploymentChange } from '../deployments/broadcaster.ts';
import type { DeploymentsService } from '../deployments/deployments.service.ts';
import type { Viewer } from '../deployments/deployments.store.ts';
import { jobError, PermanentJobError, type JobContext, type JobQueue, type JobRow } from '../jobs/job-queue.ts';
import { loadPack, PackError, packDeclaresMigrations, type PackContents, renderVersions, TemplateRenderError, UnsafeOutputPathError } from './templates/index.ts';
import { isGitError } from '../git/index.ts';
import { PERMANENT_GIT_ERRORS, type BranchPublisher, type BuildTrigger, type ServiceStopper } from './branch-publisher.ts';
import type { RepositoryPackSource } from './repository-packs.ts';
import { moduleBranchProblems, withBranchDefaults, type BranchRuleContext } from './branch-rules.ts';
import { buildManifest, ManifestError, manifestPath, packVersionOf, parseManifestText, serializeManifest, type GenerationManifest, type ManifestVersion } from './generation-manifest.ts';
import { changesOf, describePlan, planFiles, type FilePlan } from './update-plan.ts';
import { invalid, ModuleError } from './module-errors.ts';
import { definitionOf, type ModuleRow, type ModulesStore } from './modules.store.ts';

export const PUBLISH_JOB = 'module.publish';
const PUBLISH_ATTEMPTS = 3;

/** The answers' shapes are the contracts' (module-api.ts), shared with the web app. */
export type { BranchView, GenerateModuleResponse, ModuleView } from '@slipway/contracts';

/** The publish job's payload: which version, and what to do with conflicting files (the update's `onConflict`). */
interface PublishJobPayload {
  moduleId: number;
  version: number;
  onConflict?: ConflictResolution;
}

/** One application's update, planned: the merged files and the manifest to commit (docs/modules.md). */
interface ApplicationPlan {
  app: ApplicationConfig;
  pack: string;
  packVersion: string;
  basePackVersion: string | null;
  /** The branch's head the plan read (the publish's lease); null: no branch yet. */
  head: string | null;
  notes: string[];
  files: FilePlan[];
  /** How many files the pack generated. */
  generated: number;
  manifestPath: string;
  manifest: string;
}

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
    d.jobs.register(PUBLISH_JOB, (p: PublishJobPayload, ctx: JobContext) => this.publishJob(p, ctx));
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
    const m = this.validate(input);
    return this.render([{ module: this.renamesChecked(undefined, m), savedAt: new Date(this.clock()) }]);
  }

  /** Every file per application, for the module's history (oldest first). A pack that cannot be read or rendered is the user's to fix: 4xx/502. */
  private async render(versions: readonly ManifestVersion[]): Promise<ApplicationFiles[]> {
    return this.withPacks(versions.at(-1)!.module, (targets, load) => renderVersions(versions, targets, load));
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
    const onConflict = onConflictOf(input);
    const m = this.renamesChecked(undefined, this.validate(input));
    const now = new Date(this.clock()).toISOString();
    // Checked first: a bad pack or an unreadable repository is refused before anything is stored.
    const files = await this.checkFiles([{ module: m, savedAt: new Date(now) }]);
    const { row, jobId, change } = await this.d.db.transaction().execute(async (trx) => {
      if (await this.d.store.bySlug(trx, m.slug)) throw new ModuleError(409, 'slug_taken', `a module with slug '${m.slug}' exists already`);
      const row = await this.d.store.insert(trx, m, viewer.id, now);
      return { row, ...(await this.storePublish(trx, row, onConflict)) };
    });
    if (change) this.d.broadcaster.publish(change);
    return this.answer(viewer, row, jobId, files);
  }

  /**
   * Stores the new definition and queues its publish, which merges it with each branch (docs/modules.md).
   * Conflicts are found first: without `onConflict` (or with `cancel`) they are a 409 listing them,
   * and nothing is stored or pushed.
   */
  async update(viewer: Viewer, slug: string, input: unknown): Promise<GenerateModuleResponse> {
    const current = await this.mustSee(viewer, slug);
    const onConflict = onConflictOf(input);
    const now = new Date(this.clock()).toISOString();
    const { module: m, versions } = await this.nextVersion(current, this.validate({ ...(input as object), slug }), new Date(now));
    if (m.git.enabled && this.d.publisher.readFiles) {
      const plans = await this.readable(() => this.plan(m, versions));
      const conflicts = conflictsOf(plans);
      if (conflicts.length && onConflict === 'cancel') throw conflictError(conflicts);
    }
    const files = await this.checkFiles(versions);
    const { row, jobId, change } = await this.d.db.transaction().execute(async (trx) => {
      const row = await this.d.store.update(trx, current, m, now);
      return { row, ...(await this.storePublish(trx, row, onConflict)) };
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
    const targets = this.branchTargets(m);
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

  /**
   * What an update with this body would do to each application's branch, file by file, with diffs
   * against the branch: stores and pushes nothing.
   */
  async updatePreview(viewer: Viewer, slug: string, input: unknown): Promise<ModuleUpdatePreview> {
    const current = await this.mustSee(viewer, slug);
    const { module: m, versions } = await this.nextVersion(current, this.validate({ ...(input as object), slug }), new Date(this.clock()));
    const plans = await this.readable(() => this.plan(m, versions));
    const applications: ApplicationUpdatePreview[] = [];
    for (const p of plans) {
      applications.push({
        application: p.app.id,
        pack: p.pack,
        pack_version: p.packVersion,
        base_pack_version: p.basePackVersion,
        branch: m.git.branchName,
        head: p.head,
        manifest_path: p.manifestPath,
        notes: p.notes,
        files: await describePlan(p.files),
      });
    }
    return { applications, conflicts: conflictsOf(plans).length };
  }

  /** The branches a delete with `deleteBranches` would delete: each target's module branch that exists now. */
  async branches(viewer: Viewer, slug: string): Promise<BranchView[]> {
    const m = definitionOf(await this.mustSee(viewer, slug));
    const out: BranchView[] = [];
    for (const app of this.branchTargets(m)) {
      const head = await this.readable(async () => (this.d.publisher.headOf ? this.d.publisher.headOf(app, m.git.branchName) : null));
      if (head) out.push({ application: app.id, branch: m.git.branchName, commit: head });
    }
    return out;
  }

  private branchTargets(m: ModuleDefinition): ApplicationConfig[] {
    return m.git.enabled && m.git.branchName ? m.applications.map((id) => this.d.registry.get(id)).filter((a): a is ApplicationConfig => !!a?.repoUrl) : [];
  }

  /** A git failure reading a repository, as the API answers it: 502 with git's reason. */
  private async readable<T>(read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (err) {
      if (!isGitError(err)) throw err;
      throw new ModuleError(502, err.code, `cannot read the module's branch: ${err.message}`);
    }
  }

  /**
   * The module's saved versions, oldest first, as the render takes them (module_versions; a module
   * saved before histories were kept is one version, saved when it was created).
   */
  private versionsOf(row: ModuleRow): Promise<ManifestVersion[]> {
    return this.d.store.history(this.d.db, row);
  }

  /**
   * An update's definition (its `renamedFrom` checked against the version it replaces, spent ones
   * dropped) and the history it makes: the stored versions, then this one saved at `savedAt` unless
   * it is the same definition as the last.
   */
  private async nextVersion(current: ModuleRow, m: ModuleDefinition, savedAt: Date): Promise<{ module: ModuleDefinition; versions: ManifestVersion[] }> {
    const history = await this.versionsOf(current);
    const module = this.renamesChecked(history.at(-1)!.module, m);
    // The same definition again (spent renames aside) is no new version: the stored one stays, and
    // ModulesStore.update, seeing the same definition, stores no version either.
    const last = history.at(-1)!.module;
    if (withoutRenames(module) === withoutRenames(last)) return { module: last, versions: history };
    return { module, versions: [...history, { module, savedAt }] };
  }

  /** `renamedFrom` must name a field of the previous version (none for a new module): 422 otherwise. */
  private renamesChecked(previous: ModuleDefinition | undefined, m: ModuleDefinition): ModuleDefinition {
    const r = checkRenames(previous, m);
    if (r.errors.length) throw invalid(r.errors);
    return r.module;
  }

  /**
   * Each application's update: the new render (theirs), the branch's files and manifest (ours), the
   * previous render re-rendered from that manifest with the current pack (base), merged per file.
   */
  private async plan(m: ModuleDefinition, versions: ManifestVersion[]): Promise<ApplicationPlan[]> {
    return this.withPacks(m, async (targets, load) => {
      const packs = new Map<string, PackContents>();
      const loadOnce = async (t: { id: string; pack: string }) => {
        const had = packs.get(t.id);
        if (had) return had;
        const p = await load(t);
        packs.set(t.id, p);
        return p;
      };
      const rendered = await renderVersions(versions, targets, loadOnce);
      const plans: ApplicationPlan[] = [];
      for (const r of rendered) {
        const app = this.d.registry.get(r.application)!;
        const pack = packs.get(app.id)!;
        const packVersion = packVersionOf(pack);
        const path = manifestPath(m.slug);
        const notes: string[] = [];
        // Schema evolution: what the new version's migration loses, where the pack writes migrations.
        const previous = versions.at(-2);
        if (previous && versions.at(-1)!.module === m && packDeclaresMigrations(pack)) notes.push(...dataLossWarnings(schemaChanges(previous.module, m)));
        let head: string | null = null;
        let branch: ReadonlyMap<string, Buffer> = new Map();
        let manifest: GenerationManifest | null = null;
        if (m.git.enabled && this.d.publisher.readFiles) {
          const read = await this.d.publisher.readFiles(app, m.git.branchName, [path, ...r.files.map((f) => f.path)], (files) => {
            const text = files.get(path);
            if (!text) return [];
            try {
              manifest = parseManifestText(text.toString('utf8'), path);
              if (manifest.module !== m.slug || manifest.application !== app.id) throw new ManifestError(`${path} describes module '${manifest.module}' for ${manifest.application}, not '${m.slug}' for ${app.id}`);
            } catch (err) {
              manifest = null;
              if (!(err instanceof ManifestError)) throw err;
              notes.push(`${err.message}: the branch's files are replaced, without merging`);
              return [];
            }
            return manifest.files.map((f) => f.path);
          });
          head = read.head;
          branch = read.files;
          if (head && !manifest && !notes.length) notes.push(`${m.git.branchName} has no ${path} (published before manifests): the branch's files are replaced, without merging`);
        }
        const found = manifest as GenerationManifest | null;
        let base: ApplicationFiles['files'] | null = null;
        if (found) {
          if (found.pack.name !== r.pack || found.pack.version !== packVersion) {
            notes.push(`the previous render used ${found.pack.name} ${found.pack.version}; it is re-rendered with ${r.pack} ${packVersion} as the merge base, so lines the pack itself changed may conflict`);
          }
          try {
            base = (await renderVersions(found.versions, [{ id: app.id, pack: r.pack }], async () => pack))[0]?.files ?? [];
          } catch (err) {
            if (!(err instanceof PackError || err instanceof TemplateRenderError || err instanceof UnsafeOutputPathError)) throw err;
            notes.push(`the previous render could not be re-rendered (${(err as Error).message}): edited files are merged without a base`);
            base = [];
          }
        }
        const files = await planFiles({ theirs: r.files, base, manifest: found, branch });
        const next = buildManifest({ application: app.id, pack: { name: r.pack, version: packVersion, origin: pack.origin }, versions, files: r.files });
        // A version that renders exactly what the branch's manifest describes (saved unchanged) leaves the
        // manifest as it is: the update commits nothing, and that manifest still renders this branch.
        const same =
          found !== null &&
          files.every((f) => f.status === 'unchanged') &&
          JSON.stringify([found.pack.name, found.pack.version, found.files]) === JSON.stringify([next.pack.name, next.pack.version, next.files]);
        const manifestText = same ? branch.get(path)!.toString('utf8') : serializeManifest(next);
        plans.push({ app, pack: r.pack, packVersion, basePackVersion: found?.pack.version ?? null, head, notes, files, generated: r.files.length, manifestPath: path, manifest: manifestText });
      }
      return plans;
    });
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
  private async checkFiles(versions: readonly ManifestVersion[]): Promise<ApplicationFiles[]> {
    if ((this.d.publishWaitMs ?? 0) > 0) return this.render(versions);
    await this.readPacks(versions.at(-1)!.module);
    return [];
  }

  /**
   * The publish job and, for a git module, its pending deployment, in the caller's transaction with
   * the module: the answer can name the deployment at once, before anything is pushed.
   */
  private async storePublish(trx: Db, row: ModuleRow, onConflict: ConflictResolution = 'cancel'): Promise<{ jobId: number; change: DeploymentChange | null }> {
    const p: PublishJobPayload = { moduleId: row.id, version: row.version, ...(onConflict !== 'cancel' ? { onConflict } : {}) };
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
  private async publishJob(p: PublishJobPayload, ctx: JobContext): Promise<PublishJobResult> {
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
      // Rendered and merged with each branch before anything is pushed: a conflict stops the publish here.
      const plans = await this.plan(m, await this.versionsOf(row));
      const conflicts = conflictsOf(plans);
      const how = p.onConflict ?? 'cancel';
      if (conflicts.length && how === 'cancel') throw conflictError(conflicts);
      for (const plan of plans) {
        const { app } = plan;
        current = app.id;
        const { write, deletes } = changesOf(plan.files, how);
        const merged = plan.basePackVersion !== null;
        if (merged) await this.say(deploymentId, app.id, mergeSummary(plan, how));
        // Said before the push, so the dialog shows publishing per application before CI's stages.
        await this.say(deploymentId, app.id, `Rendered ${plan.generated} file${plan.generated === 1 ? '' : 's'} (${plan.pack}); pushing ${branch} to ${app.id}`);
        const r = await this.d.publisher.publish(app, {
          branch,
          baseBranch: m.git.baseBranch,
          files: [...write, { path: plan.manifestPath, content: plan.manifest }],
          deletes,
          // The lease: the branch as the merge read it (a push meanwhile makes the job merge again).
          ...(this.d.publisher.readFiles ? { expectedHead: plan.head } : {}),
          message: `${p.version === 1 ? 'Add' : 'Update'} module ${m.slug} (${plan.pack})`,
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
      // A conflict neither: the update chose to cancel on conflicts (the branch moved since the update's check).
      const refused = (code && PERMANENT_GIT_ERRORS.has(code)) || (err instanceof ModuleError && (err.status === 422 || err.status === 409));
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

/** The request's `onConflict` (an optional field beside the definition): 422 when it is not one of the resolutions. */
function onConflictOf(input: unknown): ConflictResolution {
  const v = input && typeof input === 'object' ? (input as { onConflict?: unknown }).onConflict : undefined;
  if (v === undefined || v === null) return 'cancel';
  if (typeof v === 'string' && (CONFLICT_RESOLUTIONS as readonly string[]).includes(v)) return v as ConflictResolution;
  throw invalid([{ field: 'onConflict', message: `must be one of ${CONFLICT_RESOLUTIONS.join(', ')}` }]);
}

function conflictsOf(plans: readonly ApplicationPlan[]): FileConflict[] {
  return plans.flatMap((p) => p.files.filter((f) => f.status === 'conflict').map((f) => ({ application: p.app.id, path: f.path, kind: f.conflict! })));
}

function conflictError(conflicts: FileConflict[]): ModuleError {
  const list = conflicts.map((c) => `${c.application}: ${c.path} (${c.kind})`).join(', ');
  return new ModuleError(
    409,
    'conflict',
    `the update conflicts with edits on the module branch: ${list}. Nothing was saved or pushed; choose onConflict: theirs, ours or markers`,
    undefined,
    conflicts,
  );
}

/** The deployment's event for a merged update: what happens to the files people edited. */
function mergeSummary(plan: ApplicationPlan, how: ConflictResolution): string {
  const count = (s: string) => plan.files.filter((f) => f.status === s).length;
  const kept = plan.files.filter((f) => f.edited && f.status !== 'conflict').length;
  const conflicts = count('conflict');
  const parts = [`${count('created')} created`, `${count('changed')} changed`, `${count('deleted')} deleted`, `${kept} edited on the branch kept`];
  if (conflicts) parts.push(`${conflicts} conflict${conflicts === 1 ? '' : 's'} resolved with '${how}'`);
  return `Merged with ${plan.app.id}'s branch: ${parts.join(', ')}${plan.notes.length ? ` (${plan.notes.join('; ')})` : ''}`;
}

/** A definition as JSON without its fields' `renamedFrom`: what a save changes, renames said aside. */
function withoutRenames(m: ModuleDefinition): string {
  return JSON.stringify({ ...m, fields: m.fields.map(({ renamedFrom: _said, ...f }) => f) });
}

/** Names one publish (module and version): its job's key and its deployment's. */
function publishKeyOf(p: { moduleId: number; version: number }): string {
  return `publish:${p.moduleId}:v${p.version}`;
}
