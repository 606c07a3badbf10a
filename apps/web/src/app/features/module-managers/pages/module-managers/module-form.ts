import { type AbstractControl, FormArray, FormControl, FormGroup, NonNullableFormBuilder, type ValidatorFn, Validators } from '@angular/forms';
import {
  FIELD_NAME_PATTERN,
  type FieldError,
  type ModuleDefinition,
  dataLossWarnings,
  schemaChanges,
  type FieldType,
  type ModuleInput,
  RESERVED_FIELD_NAMES,
  moduleBranchName,
  moduleNameProblem,
  moduleSlugSchema,
  slugFromName,
} from '@slipway/contracts';
import type { ApplicationView, ModuleFieldView, ModuleView } from '../../../../core/module-generator.service';

export type FieldForm = FormGroup<{
  name: FormControl<string>;
  label: FormControl<string>;
  type: FormControl<FieldType>;
  required: FormControl<boolean>;
  unique: FormControl<boolean>;
  default: FormControl<string>;
  options: FormControl<string[]>;
  relation: FormControl<string>;
  /** Editing: the name this field had in the saved module, so the update renames its column (docs/modules.md). */
  renamedFrom: FormControl<string>;
}>;

export type ModuleForm = ReturnType<typeof buildModuleForm>;

const fieldName: ValidatorFn = (c) => {
  const v = String(c.value ?? '');
  if (!v) return null;
  if (!FIELD_NAME_PATTERN.test(v)) return { pattern: 'snake_case: lowercase letters, digits and _, starting with a letter' };
  if (RESERVED_FIELD_NAMES.includes(v)) return { reserved: 'is reserved' };
  return null;
};

/** The server's slug rule (contracts' `moduleSlugSchema`); empty means "derive it from the name". */
const slugRule: ValidatorFn = (c) => {
  const v = String(c.value ?? '').trim();
  if (!v) return null;
  const r = moduleSlugSchema.safeParse(v);
  return r.success ? null : { rule: r.error.issues[0]!.message };
};

/**
 * The server's name rules (contracts' `moduleNameProblem`): "   " is empty, and "!!!" gives no slug
 * unless one is typed beside it. Reads the sibling slug control, so the page re-checks the name
 * whenever the slug changes.
 */
const nameRule: ValidatorFn = (c) => {
  const name = String(c.value ?? '');
  if (!name.trim()) return { required: true };
  const slug = String(c.parent?.get('slug')?.value ?? '').trim();
  const problem = moduleNameProblem(name, slug || undefined);
  return problem ? { rule: problem } : null;
};

export function buildFieldForm(fb: NonNullableFormBuilder, f?: Partial<ModuleFieldView>): FieldForm {
  return fb.group({
    name: fb.control(f?.name ?? '', [Validators.required, fieldName]),
    label: fb.control(f?.label ?? ''),
    type: fb.control<FieldType>(f?.type ?? 'string'),
    required: fb.control(f?.required ?? false),
    unique: fb.control(f?.unique ?? false),
    default: fb.control(f?.default === null || f?.default === undefined ? '' : String(f.default)),
    options: fb.control<string[]>(f?.options ?? []),
    relation: fb.control(f?.relation ?? ''),
    // Never the stored one: a rename is said once, by the update that makes it.
    renamedFrom: fb.control(''),
  });
}

export function buildModuleForm(fb: NonNullableFormBuilder) {
  return fb.group({
    name: fb.control('', [nameRule, Validators.maxLength(100)]),
    slug: fb.control('', slugRule),
    description: fb.control('', Validators.maxLength(2000)),
    fields: fb.array<FieldForm>([buildFieldForm(fb)]),
    applications: fb.control<string[]>([], Validators.required),
    // Only the switch: the branch is always the module's own `module/<slug>`, created from the
    // targets' configured base branch (the server refuses anything else; modules/branch-rules.ts).
    git: fb.group({ enabled: fb.control(true) }),
  });
}

/** The slug the server will use: the one typed, or the one derived from the name. */
export function effectiveSlug(name: string, slug: string): string {
  return slug.trim() || slugFromName(name);
}

/**
 * What deriving the slug dropped from the front of the name ("123 products" → "123 "), so the page
 * can say so as the name is typed; '' when nothing worth mentioning was dropped.
 */
export function droppedFromName(name: string): string {
  if (!slugFromName(name)) return '';
  return name.trim().match(/^[^\p{L}]+/u)?.[0] ?? '';
}

/** The branch a new module is published on; an existing one shows the branch the server stored. */
export function defaultModuleBranch(slug: string): string {
  return moduleBranchName(slug || '<slug>');
}

/**
 * The base branch the module's branch grows from: the one every chosen application is configured
 * with. Several different ones cannot be served by one module branch, so that is a problem to show.
 */
export function baseBranchOf(selected: readonly string[], apps: readonly ApplicationView[]): { branch: string | null; problem: string | null } {
  const targets = apps.filter((a) => selected.includes(a.id));
  const bases = [...new Set(targets.map((a) => a.base_branch))];
  if (bases.length === 1) return { branch: bases[0]!, problem: null };
  if (bases.length === 0) return { branch: null, problem: null };
  return {
    branch: null,
    problem: `The chosen applications have different base branches (${targets.map((a) => `${a.id}: ${a.base_branch}`).join(', ')}); a module can target only applications that share one.`,
  };
}

export { plural } from '../../../../shared/plural';

/** A default typed in a text box → the JSON value its field type takes (the server checks it). */
export function defaultValue(type: FieldType, raw: string): unknown {
  const v = raw.trim();
  if (v === '') return undefined;
  switch (type) {
    case 'integer':
      return /^-?\d+$/.test(v) ? Number(v) : v;
    case 'decimal':
      return v !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
    case 'boolean':
      return v === 'true' ? true : v === 'false' ? false : v;
    default:
      return raw;
  }
}

/**
 * The form → the module input of packages/contracts. The branch name and base branch are left out:
 * the server fills in the only ones it accepts (`<prefix><slug>`, the targets' base branch).
 */
export function toModuleInput(form: ModuleForm): ModuleInput {
  const v = form.getRawValue();
  const slug = v.slug.trim();
  return {
    name: v.name,
    ...(slug ? { slug } : {}),
    description: v.description,
    fields: v.fields.map((f) => {
      const def = defaultValue(f.type, f.default);
      return {
        name: f.name.trim(),
        ...(f.label.trim() ? { label: f.label.trim() } : {}),
        type: f.type,
        required: f.required,
        unique: f.unique,
        ...(def !== undefined ? { default: def } : {}),
        ...(f.type === 'enum' ? { options: f.options } : {}),
        ...(f.type === 'relation' ? { relation: f.relation.trim() } : {}),
        ...(f.renamedFrom ? { renamedFrom: f.renamedFrom } : {}),
      };
    }),
    applications: v.applications,
    git: { enabled: v.git.enabled, createBranch: true },
  };
}

/**
 * Editing: the saved fields that the form no longer has by name, which a field may say it was
 * renamed from (each once).
 */
export function formerFieldNames(saved: ModuleView, input: ModuleInput): string[] {
  const names = new Set(input.fields.map((f) => f.name));
  return saved.fields.map((f) => f.name).filter((n) => !names.has(n));
}

/**
 * Editing: what the update would lose, as the server's migrations would do it (contracts'
 * schemaChanges): "data in note will be lost: the column is dropped". Empty when nothing is lost.
 */
export function dataLossOf(saved: ModuleView, input: ModuleInput): string[] {
  // The form always sends required and unique; a missing default is null, as the server parses it.
  const next = { ...input, fields: input.fields.map((f) => ({ ...f, default: f.default ?? null })) } as unknown as ModuleDefinition;
  return dataLossWarnings(schemaChanges(saved as ModuleDefinition, next));
}

/** A module from the API (contracts' `ModuleView`) → form values. */
export function patchModuleForm(fb: NonNullableFormBuilder, form: ModuleForm, m: ModuleView): void {
  form.controls.fields.clear();
  for (const f of m.fields) form.controls.fields.push(buildFieldForm(fb, f));
  form.patchValue({
    name: m.name,
    slug: m.slug,
    description: m.description,
    applications: m.applications,
    git: { enabled: m.git.enabled },
  });
  // The name was checked before its slug arrived.
  form.controls.name.updateValueAndValidity();
}

/**
 * Puts the server's field errors (`fields.2.type`) on the controls they name, shown under each
 * field; returns those no control matched (shown at the top of the form).
 */
export function applyServerErrors(form: AbstractControl, details: readonly FieldError[]): FieldError[] {
  const unmatched: FieldError[] = [];
  for (const d of details) {
    const control = controlFor(form, d.field);
    if (control && control !== form) {
      control.setErrors({ ...(control.errors ?? {}), server: d.message });
      control.markAsTouched();
    } else {
      unmatched.push(d);
    }
  }
  return unmatched;
}

function controlFor(form: AbstractControl, path: string): AbstractControl | null {
  const parts = path.split('.').filter(Boolean);
  while (parts.length) {
    const c = form.get(parts.join('.'));
    // A whole array or group (`fields`) has no place to show a message: report it at the top.
    if (c && !(c instanceof FormArray) && !(c instanceof FormGroup)) return c;
    if (c) return null;
    parts.pop();
  }
  return null;
}

/** The message to show under a control: the server's, else the local validator's. */
export function errorText(c: AbstractControl | null): string | null {
  const e = c?.errors;
  if (!e) return null;
  if (typeof e['server'] === 'string') return e['server'];
  if (e['required']) return 'Required';
  if (e['maxlength']) return `At most ${(e['maxlength'] as { requiredLength: number }).requiredLength} characters`;
  for (const k of ['rule', 'pattern', 'reserved']) if (typeof e[k] === 'string') return e[k];
  return 'Invalid value';
}
