import { type AbstractControl, FormArray, FormControl, FormGroup, NonNullableFormBuilder, type ValidatorFn, Validators } from '@angular/forms';
import {
  FIELD_NAME_PATTERN,
  type FieldError,
  type FieldType,
  type ModuleInput,
  RESERVED_FIELD_NAMES,
  isValidBranchName,
  slugFromName,
} from '@slipway/contracts';
import type { ModuleFieldView, ModuleView } from '../../../../core/module-generator.service';

export type FieldForm = FormGroup<{
  name: FormControl<string>;
  label: FormControl<string>;
  type: FormControl<FieldType>;
  required: FormControl<boolean>;
  unique: FormControl<boolean>;
  default: FormControl<string>;
  options: FormControl<string[]>;
  relation: FormControl<string>;
}>;

export type ModuleForm = ReturnType<typeof buildModuleForm>;

const fieldName: ValidatorFn = (c) => {
  const v = String(c.value ?? '');
  if (!v) return null;
  if (!FIELD_NAME_PATTERN.test(v)) return { pattern: 'snake_case: lowercase letters, digits and _, starting with a letter' };
  if (RESERVED_FIELD_NAMES.includes(v)) return { reserved: 'is reserved' };
  return null;
};

const branchName: ValidatorFn = (c) => (c.value && !isValidBranchName(String(c.value)) ? { branch: 'not a valid git branch name' } : null);

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
  });
}

export function buildModuleForm(fb: NonNullableFormBuilder) {
  return fb.group({
    name: fb.control('', [Validators.required, Validators.maxLength(100)]),
    slug: fb.control(''),
    description: fb.control('', Validators.maxLength(2000)),
    fields: fb.array<FieldForm>([buildFieldForm(fb)]),
    applications: fb.control<string[]>([], Validators.required),
    git: fb.group({
      enabled: fb.control(true),
      createBranch: fb.control(true),
      branchName: fb.control('', branchName),
      baseBranch: fb.control('main', [Validators.required, branchName]),
    }),
  });
}

/** The slug the server will use: the one typed, or the one derived from the name. */
export function effectiveSlug(name: string, slug: string): string {
  return slug.trim() || slugFromName(name);
}

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

/** The form → the module input of packages/contracts (createBranch/branchName/baseBranch). */
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
      };
    }),
    applications: v.applications,
    git: {
      enabled: v.git.enabled,
      createBranch: v.git.createBranch,
      ...(v.git.branchName.trim() ? { branchName: v.git.branchName.trim() } : {}),
      baseBranch: v.git.baseBranch.trim() || 'main',
    },
  };
}

/** A module from the API → form values (the API speaks snake_case for git settings). */
export function patchModuleForm(fb: NonNullableFormBuilder, form: ModuleForm, m: ModuleView): void {
  form.controls.fields.clear();
  for (const f of m.fields) form.controls.fields.push(buildFieldForm(fb, f));
  form.patchValue({
    name: m.name,
    slug: m.slug,
    description: m.description,
    applications: m.applications,
    git: { enabled: m.git.enabled, createBranch: m.git.create_branch, branchName: m.git.branch_name, baseBranch: m.git.base_branch },
  });
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
  for (const k of ['pattern', 'reserved', 'branch']) if (typeof e[k] === 'string') return e[k];
  return 'Invalid value';
}
