import { COMMA, ENTER } from '@angular/cdk/keycodes';
import { ChangeDetectionStrategy, Component, Injector, type OnInit, afterNextRender, computed, inject, input, signal } from '@angular/core';
import { takeUntilDestroyed, toSignal } from '@angular/core/rxjs-interop';
import { NonNullableFormBuilder, ReactiveFormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { type MatChipInputEvent, MatChipsModule } from '@angular/material/chips';
import { MatExpansionModule } from '@angular/material/expansion';
import { MAT_FORM_FIELD_DEFAULT_OPTIONS, MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatSlideToggleModule } from '@angular/material/slide-toggle';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTooltipModule } from '@angular/material/tooltip';
import { Router, RouterLink } from '@angular/router';
import { FIELD_TYPES, type FieldError } from '@slipway/contracts';
import { map, startWith } from 'rxjs';
import { apiProblem } from '../../../../core/api-error';
import { DeploymentService } from '../../../../core/deployment.service';
import {
  type ApplicationFiles,
  type ApplicationView,
  type ConflictResolution,
  type FileConflict,
  type GenerateModuleResponse,
  ModuleGeneratorService,
  type ModuleUpdatePreview,
  type ModuleView,
} from '../../../../core/module-generator.service';
import { ConflictChoicesComponent } from '../../components/update-preview/conflict-choices.component';
import { conflictsOf, previewConflicts, resolutionLabel } from '../../components/update-preview/update-diff';
import { UpdatePreviewComponent } from '../../components/update-preview/update-preview.component';
import { DeploymentStatusDialog } from '../../dialogs/deployment-status/deployment-status-dialog.service';
import {
  type FieldForm,
  applyServerErrors,
  baseBranchOf,
  buildFieldForm,
  buildModuleForm,
  dataLossOf,
  defaultModuleBranch,
  formerFieldNames,
  droppedFromName,
  effectiveSlug,
  errorText,
  patchModuleForm,
  plural,
  toModuleInput,
} from './module-form';

const FIX_FIELDS = 'Some fields need attention (marked in red).';

/**
 * Create or update a module (spec: module-manager-create-update-page): name → slug, fields with
 * types and flags, target applications, git settings, a preview of the generated files, and the
 * server's field-level validation messages. After saving, the deployment status dialog opens.
 */
@Component({
  selector: 'app-module-manager-create-update-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    ReactiveFormsModule,
    RouterLink,
    MatCardModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatCheckboxModule,
    MatSlideToggleModule,
    MatChipsModule,
    MatButtonModule,
    MatIconModule,
    MatTooltipModule,
    MatExpansionModule,
    MatProgressBarModule,
    UpdatePreviewComponent,
    ConflictChoicesComponent,
  ],
  // Long messages push what follows down instead of running into the next field.
  providers: [{ provide: MAT_FORM_FIELD_DEFAULT_OPTIONS, useValue: { subscriptSizing: 'dynamic' } }],
  templateUrl: './module-manager-create-update-page.component.html',
  styleUrl: './module-manager-create-update-page.component.scss',
})
export class ModuleManagerCreateUpdatePageComponent implements OnInit {
  private readonly fb = inject(NonNullableFormBuilder);
  private readonly api = inject(ModuleGeneratorService);
  private readonly deployments = inject(DeploymentService);
  private readonly statusDialog = inject(DeploymentStatusDialog);
  private readonly router = inject(Router);
  private readonly snackBar = inject(MatSnackBar);
  private readonly injector = inject(Injector);

  /** Route parameter: the module being edited; absent when creating. */
  readonly slug = input<string>();
  protected readonly editing = computed(() => !!this.slug());

  protected readonly fieldTypes = FIELD_TYPES;
  protected readonly separatorKeys = [ENTER, COMMA] as const;
  protected readonly errorText = errorText;
  protected readonly plural = plural;

  protected readonly form = buildModuleForm(this.fb);
  protected readonly applications = signal<ApplicationView[]>([]);
  protected readonly appsProblem = signal<string | null>(null);
  protected readonly loading = signal(false);
  protected readonly loadProblem = signal<string | null>(null);
  protected readonly busy = signal<'save' | 'preview' | null>(null);
  protected readonly problem = signal<string | null>(null);
  protected readonly otherErrors = signal<FieldError[]>([]);
  protected readonly preview = signal<ApplicationFiles[] | null>(null);
  /** Editing: what saving would do to each branch, file by file (docs/modules.md). */
  protected readonly updatePreview = signal<ModuleUpdatePreview | null>(null);
  /** The files that conflict with edits on the branch (the preview's, or the save's 409); null: none known. */
  protected readonly conflicts = signal<FileConflict[] | null>(null);
  /** What the person chose for them; sent as `onConflict` with the preview and the save. */
  protected readonly resolution = signal<ConflictResolution | null>(null);
  /** The branch the server stored for the module being edited. */
  private readonly storedBranch = signal<string | null>(null);
  /** The module as saved, when editing: what renames and data-loss warnings compare with. */
  private readonly saved = signal<ModuleView | null>(null);

  private readonly value = toSignal(this.form.valueChanges.pipe(startWith(null), map(() => this.form.getRawValue())), {
    requireSync: true,
  });
  protected readonly derivedSlug = computed(() => effectiveSlug(this.value().name, this.value().slug));
  /** What deriving the slug dropped from the name ("123 "), said beside the live slug. */
  protected readonly droppedFromName = computed(() => (this.value().slug.trim() ? '' : droppedFromName(this.value().name)));
  protected readonly branch = computed(() => this.storedBranch() ?? defaultModuleBranch(this.derivedSlug()));
  protected readonly base = computed(() => baseBranchOf(this.value().applications, this.applications()));
  protected readonly gitEnabled = computed(() => this.value().git.enabled);
  /** Editing: the form as the module input it sends (recomputed as the form changes). */
  private readonly input = computed(() => {
    this.value();
    return toModuleInput(this.form);
  });
  /** Editing: saved fields the form no longer has, offered as "Renamed from". */
  protected readonly formerFields = computed(() => {
    const saved = this.saved();
    return saved ? formerFieldNames(saved, this.input()) : [];
  });
  /** Editing: "data in note will be lost…", one per dropped field and lossy type change. */
  protected readonly dataLoss = computed(() => {
    const saved = this.saved();
    return saved ? dataLossOf(saved, this.input()) : [];
  });

  constructor() {
    void this.loadApplications();
    // A typed slug makes a name without letters acceptable (and clearing it, not).
    this.form.controls.slug.valueChanges.pipe(takeUntilDestroyed()).subscribe(() => this.form.controls.name.updateValueAndValidity());
    // The local banner goes once what it pointed at is fixed.
    this.form.statusChanges.pipe(takeUntilDestroyed()).subscribe((s) => {
      if (s === 'VALID' && this.problem() === FIX_FIELDS) this.problem.set(null);
    });
  }

  ngOnInit(): void {
    const slug = this.slug();
    if (slug) void this.loadModule(slug);
  }

  protected get fields() {
    return this.form.controls.fields;
  }

  protected addField(): void {
    this.fields.push(buildFieldForm(this.fb));
  }

  protected removeField(i: number): void {
    this.fields.removeAt(i);
  }

  protected moveField(i: number, delta: -1 | 1): void {
    const j = i + delta;
    if (j < 0 || j >= this.fields.length) return;
    const f = this.fields.at(i);
    this.fields.removeAt(i);
    this.fields.insert(j, f);
  }

  protected addOption(field: FieldForm, e: MatChipInputEvent): void {
    const v = (e.value ?? '').trim();
    if (v && !field.controls.options.value.includes(v)) field.controls.options.setValue([...field.controls.options.value, v]);
    e.chipInput.clear();
  }

  protected removeOption(field: FieldForm, option: string): void {
    field.controls.options.setValue(field.controls.options.value.filter((o) => o !== option));
  }

  protected toggleApplication(id: string, on: boolean): void {
    const c = this.form.controls.applications;
    const now = c.value.filter((a) => a !== id);
    c.setValue(on ? [...now, id] : now);
    c.markAsTouched();
  }

  async loadApplications(): Promise<void> {
    try {
      const apps = await this.api.applications();
      this.applications.set(apps);
      this.appsProblem.set(null);
      // One target configured: it is the obvious choice.
      if (!this.editing() && apps.length === 1 && this.form.controls.applications.value.length === 0) {
        this.form.controls.applications.setValue([apps[0]!.id]);
      }
    } catch (err) {
      this.appsProblem.set(apiProblem(err).message);
    }
  }

  private async loadModule(slug: string): Promise<void> {
    this.loading.set(true);
    try {
      const m = await this.api.get(slug);
      patchModuleForm(this.fb, this.form, m);
      this.saved.set(m);
      this.form.controls.slug.disable();
      this.storedBranch.set(m.git.branchName ?? null);
      this.loadProblem.set(null);
    } catch (err) {
      this.loadProblem.set(apiProblem(err).message);
    } finally {
      this.loading.set(false);
    }
  }

  protected async showPreview(): Promise<void> {
    if (!this.checkLocally()) return;
    this.busy.set('preview');
    this.problem.set(null);
    try {
      const slug = this.slug();
      if (slug) {
        await this.loadUpdatePreview(slug);
      } else {
        this.preview.set(await this.api.preview(toModuleInput(this.form)));
      }
      this.scrollIntoView('#preview');
    } catch (err) {
      this.handleError(err);
    } finally {
      this.busy.set(null);
    }
  }

  protected async submit(): Promise<void> {
    if (!this.checkLocally()) return;
    this.busy.set('save');
    this.problem.set(null);
    this.otherErrors.set([]);
    try {
      const slug = this.slug();
      const r = slug
        ? await this.api.update(slug, toModuleInput(this.form), this.resolution() ?? undefined)
        : await this.api.create(toModuleInput(this.form));
      await this.afterSave(r);
    } catch (err) {
      const conflicts = this.slug() ? conflictsOf(err) : null;
      if (conflicts) await this.showConflicts(conflicts);
      else this.handleError(err);
    } finally {
      this.busy.set(null);
    }
  }

  /** Editing: the update preview, with the conflicts it finds offered for a choice before any save. */
  private async loadUpdatePreview(slug: string): Promise<void> {
    const p = await this.api.updatePreview(slug, toModuleInput(this.form), this.resolution() ?? undefined);
    this.preview.set(null);
    this.updatePreview.set(p);
    const found = previewConflicts(p.applications);
    this.conflicts.set(found.length ? found : null);
    if (!found.length) this.resolution.set(null);
  }

  /** The save's 409: nothing was stored or pushed. Show the conflicting files, their diffs, and the four choices. */
  private async showConflicts(conflicts: FileConflict[]): Promise<void> {
    this.conflicts.set(conflicts);
    this.resolution.set(null);
    try {
      await this.loadUpdatePreview(this.slug()!);
      // The preview's own list is the fuller one; keep the 409's if the preview found none.
      if (!this.conflicts()) this.conflicts.set(conflicts);
    } catch {
      // The list from the 409 is enough to choose.
    }
    this.scrollIntoView('[data-testid=conflict-choices]');
  }

  /** The person's answer to the conflicts: cancel drops the update; any other is sent as `onConflict` with a new save. */
  protected async chooseResolution(r: ConflictResolution): Promise<void> {
    if (r === 'cancel') {
      this.conflicts.set(null);
      this.resolution.set(null);
      this.snackBar.open('Update cancelled: nothing was saved or pushed.', undefined, { duration: 5000 });
      return;
    }
    this.resolution.set(r);
    await this.submit();
  }

  private async afterSave(r: GenerateModuleResponse): Promise<void> {
    const resolved = this.resolution();
    if (resolved) this.snackBar.open(`Module '${r.module.slug}' saved; conflicts resolved: ${resolutionLabel(resolved)}`, undefined, { duration: 8000 });
    this.form.markAsPristine();
    await this.router.navigate(['/modules']);
    if (r.deployment) {
      this.deployments.apply(r.deployment, 'snapshot');
      this.statusDialog.open(r.deployment.deployment_id);
    } else if (r.module.git.enabled) {
      // Accepted, but the branch was not pushed yet (202): the deployment shows up shortly.
      this.snackBar.open(`Module '${r.module.slug}' saved; pushing branch ${r.module.git.branchName}…`, undefined, { duration: 5000 });
      const id = await this.deployments.waitForModule(r.module.slug, r.module.updated_at);
      if (id) this.statusDialog.open(id);
      else this.snackBar.open(`No deployment of '${r.module.slug}' yet; see the Deployments page.`, 'OK', { duration: 8000 });
    } else {
      const files = r.files.reduce((n, a) => n + a.files.length, 0);
      this.snackBar.open(`Module '${r.module.slug}' saved (${plural(files, 'file')} generated; git publishing is off)`, undefined, { duration: 5000 });
    }
  }

  /** Local checks first (required, patterns from packages/contracts); the server has the last word. */
  private checkLocally(): boolean {
    this.form.markAllAsTouched();
    const baseProblem = this.gitEnabled() ? this.base().problem : null;
    if (this.form.valid && !baseProblem) return true;
    this.problem.set(baseProblem ?? FIX_FIELDS);
    afterNextRender(
      () => {
        const invalid = document.querySelector('.mat-mdc-form-field-invalid input, .mat-mdc-form-field-invalid mat-select') as HTMLElement | null;
        // Focusing scrolls the field into view; with nothing to focus, show the banner.
        if (invalid) invalid.focus();
        else this.scrollIntoViewNow('[data-testid=form-problem]');
      },
      { injector: this.injector },
    );
    return false;
  }

  /** Once the next render has put it on the page (the banner, the preview), bring it into view. */
  private scrollIntoView(selector: string): void {
    afterNextRender(() => this.scrollIntoViewNow(selector), { injector: this.injector });
  }

  private scrollIntoViewNow(selector: string): void {
    document.querySelector(selector)?.scrollIntoView({ behavior: 'smooth', block: 'start' });
  }

  private handleError(err: unknown): void {
    const p = apiProblem(err);
    if (p.status === 422 && p.details.length) {
      this.otherErrors.set(applyServerErrors(this.form, p.details));
      this.problem.set('The server refused some values; see the messages below.');
      this.scrollIntoView('[data-testid=form-problem]');
      return;
    }
    if (p.status === 409) {
      const c = this.form.controls.slug.value ? this.form.controls.slug : this.form.controls.name;
      c.setErrors({ server: p.message });
      c.markAsTouched();
      this.problem.set(p.message);
      this.scrollIntoView('[data-testid=form-problem]');
      return;
    }
    this.problem.set(p.status === 502 ? `Publishing to git failed (${p.error}): ${p.message}` : p.message);
    this.scrollIntoView('[data-testid=form-problem]');
  }
}
