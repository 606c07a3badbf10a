import { z } from 'zod';
import { MODULE_SLUG_PATTERN } from './ci-report.ts';

/**
 * A module definition as the web page sends it (create and update alike), and the generated files
 * the server returns for it. Parsing fills the defaults (slug from the name, branch `module/<slug>`,
 * base branch `main`), so everything downstream reads one complete shape.
 */

export const FIELD_TYPES = [
  'string',
  'text',
  'integer',
  'decimal',
  'boolean',
  'date',
  'datetime',
  'enum',
  'relation',
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** snake_case, so a field name is the same identifier in SQL, PHP, TypeScript and JSON. */
export const FIELD_NAME_PATTERN = /^[a-z][a-z0-9_]{0,62}$/;

/**
 * Names the generated code already uses (primary key, timestamps) or that would collide with
 * JavaScript object internals or Eloquent model properties.
 */
export const RESERVED_FIELD_NAMES: readonly string[] = [
  'id',
  'created_at',
  'updated_at',
  'deleted_at',
  'constructor',
  'prototype',
  'attributes',
  'casts',
  'connection',
  'exists',
  'fillable',
  'guarded',
  'hidden',
  'incrementing',
  'relations',
  'table',
  'timestamps',
];

/** Enum values end up in SQL, PHP and TypeScript literals: letters, digits, space, `_ . -` only. */
export const ENUM_OPTION_PATTERN = /^[\p{L}\p{N}][\p{L}\p{N} _.-]{0,63}$/u;

const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** Max length of a `string` field (VARCHAR); `text` has none. */
export const STRING_FIELD_MAX_LENGTH = 255;

/** `git check-ref-format --branch` rules, so a bad name is refused before any git command runs. */
export function isValidBranchName(name: string): boolean {
  if (name.length === 0 || name.length > 255) return false;
  if (name === '@' || name.startsWith('-') || name.startsWith('/') || name.endsWith('/')) return false;
  if (name.endsWith('.') || name.includes('..') || name.includes('//') || name.includes('@{')) return false;
  // Control characters, space, DEL and the characters git reserves for revision syntax.
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return false;
  return name.split('/').every((part) => !part.startsWith('.') && !part.endsWith('.lock'));
}

/** Where module branches live unless configured otherwise (`SLIPWAY_MODULE_BRANCH_PREFIX`). */
export const DEFAULT_MODULE_BRANCH_PREFIX = 'module/';

/** A module's branch: `<prefix><slug>`, the only branch a module is ever published on. */
export function moduleBranchName(slug: string, prefix: string = DEFAULT_MODULE_BRANCH_PREFIX): string {
  return `${prefix}${slug}`;
}

/**
 * What follows the prefix in a branch under it (the slug, for a well-formed module branch), or
 * null when the branch is outside the module namespace.
 */
export function moduleSlugOfBranch(branch: string, prefix: string = DEFAULT_MODULE_BRANCH_PREFIX): string | null {
  return branch.startsWith(prefix) ? branch.slice(prefix.length) : null;
}

/** A prefix that gives a valid branch name for every slug, and cannot be mistaken for a whole branch. */
export function isValidModuleBranchPrefix(prefix: string): boolean {
  return /[/-]$/.test(prefix) && isValidBranchName(`${prefix}a`) && prefix.length <= 64;
}

/** "Product Catégories" → "product-categories"; '' when nothing usable is left. */
export function slugFromName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

/** A module's slug, as typed or as derived from its name. */
export const moduleSlugSchema = z.string().regex(MODULE_SLUG_PATTERN, 'must be lowercase letters, digits and dashes, starting with a letter (max 63)');

function isValidDate(s: string): boolean {
  if (!DATE_PATTERN.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s);
}

/** Why `value` is not a valid default for a field of this type, or undefined when it is. */
function defaultProblem(field: { type: FieldType; options?: string[] | undefined }, value: unknown): string | undefined {
  switch (field.type) {
    case 'string':
      if (typeof value !== 'string') return 'must be a string';
      return value.length > STRING_FIELD_MAX_LENGTH ? `must be at most ${STRING_FIELD_MAX_LENGTH} characters` : undefined;
    case 'text':
      return typeof value === 'string' ? undefined : 'must be a string';
    case 'integer':
      return Number.isSafeInteger(value) ? undefined : 'must be an integer';
    case 'decimal':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    case 'date':
      return typeof value === 'string' && isValidDate(value) ? undefined : 'must be a date YYYY-MM-DD';
    case 'datetime':
      return z.iso.datetime({ offset: true }).safeParse(value).success ? undefined : 'must be an ISO 8601 date-time';
    case 'enum':
      return typeof value === 'string' && field.options?.includes(value) ? undefined : 'must be one of the options';
    case 'relation':
      return 'a relation cannot have a default';
  }
}

export const moduleFieldSchema = z
  .object({
    name: z
      .string()
      .regex(FIELD_NAME_PATTERN, 'must be snake_case: lowercase letters, digits and _, starting with a letter (max 63)')
      .refine((n) => !RESERVED_FIELD_NAMES.includes(n), { message: 'is reserved' }),
    /** Shown in forms and lists; defaults to the name in words on the page that renders it. */
    label: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[^\x00-\x1f\x7f]*$/, 'must not contain control characters')
      .optional(),
    type: z.enum(FIELD_TYPES),
    required: z.boolean().default(false),
    unique: z.boolean().default(false),
    /** Must suit the type; `null` means none. */
    default: z.unknown().optional(),
    /** Allowed values of an `enum` field. */
    options: z.array(z.string().regex(ENUM_OPTION_PATTERN, 'must be letters, digits, space, _ . - (max 64)')).optional(),
    /** Slug of the module a `relation` field points to (its id). */
    relation: moduleSlugSchema.optional(),
    /**
     * Extension (schema evolution, docs/modules.md): on an update, the name this field had in the
     * module's previous version, so the new migration renames the column and keeps its data.
     * Without it, a renamed field is a dropped column plus a new one.
     */
    renamedFrom: z.string().regex(FIELD_NAME_PATTERN, 'must be the snake_case name of a field of the previous version').optional(),
  })
  .superRefine((f, ctx) => {
    if (f.type === 'enum') {
      if (!f.options || f.options.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['options'], message: 'an enum field needs at least one option' });
      } else if (new Set(f.options).size !== f.options.length) {
        ctx.addIssue({ code: 'custom', path: ['options'], message: 'options must be unique' });
      }
    } else if (f.options !== undefined && f.options.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['options'], message: 'only enum fields take options' });
    }
    if (f.type === 'relation' && !f.relation) {
      ctx.addIssue({ code: 'custom', path: ['relation'], message: 'a relation field needs the slug of the module it points to' });
    } else if (f.type !== 'relation' && f.relation !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['relation'], message: 'only relation fields point to a module' });
    }
    if (f.default !== undefined && f.default !== null) {
      const problem = defaultProblem(f, f.default);
      if (problem) ctx.addIssue({ code: 'custom', path: ['default'], message: `default ${problem}` });
    }
  })
  .transform((f) => ({ ...f, default: f.default ?? null }));

export const moduleGitSchema = z.object({
  enabled: z.boolean().default(true),
  createBranch: z.boolean().default(true),
  /** Defaults to `module/<slug>`; the server requires `<its prefix><slug>` (modules/branch-rules.ts). */
  branchName: z.string().refine(isValidBranchName, { message: 'is not a valid git branch name' }).optional(),
  baseBranch: z.string().refine(isValidBranchName, { message: 'is not a valid git branch name' }).default('main'),
});

const applicationIdSchema = z.string().regex(MODULE_SLUG_PATTERN, 'must be an application id such as backend');

/** A module's display name. */
export const moduleNameSchema = z
  .string()
  .trim()
  .min(1, 'is required')
  .max(100)
  .regex(/^[^\x00-\x1f\x7f]*$/, 'must not contain control characters');

export const NO_USABLE_SLUG_MESSAGE = 'gives no usable slug: start it with a letter, or give a slug';

/**
 * Why a module name (with the slug typed beside it, if any) is refused, or null: the checks of
 * `moduleInputSchema` on the name, for a form to apply as the person types.
 */
export function moduleNameProblem(name: string, slug?: string): string | null {
  const r = moduleNameSchema.safeParse(name);
  if (!r.success) return r.error.issues[0]!.message;
  return slug === undefined && slugFromName(name) === '' ? NO_USABLE_SLUG_MESSAGE : null;
}

/** Create and update body of a module. Parse it; never trust the input type downstream. */
export const moduleInputSchema = z
  .object({
    name: moduleNameSchema,
    /** Derived from the name when absent. */
    slug: moduleSlugSchema.optional(),
    description: z.string().max(2000).default(''),
    fields: z.array(moduleFieldSchema).min(1, 'a module needs at least one field').max(100),
    applications: z
      .array(applicationIdSchema)
      .min(1, 'choose at least one application')
      .refine((a) => new Set(a).size === a.length, { message: 'applications must be unique' }),
    git: moduleGitSchema.default({ enabled: true, createBranch: true, baseBranch: 'main' }),
  })
  .superRefine((m, ctx) => {
    const seen = new Map<string, number>();
    m.fields.forEach((f, i) => {
      const first = seen.get(f.name);
      if (first === undefined) seen.set(f.name, i);
      else ctx.addIssue({ code: 'custom', path: ['fields', i, 'name'], message: `duplicates fields.${first}.name` });
    });
    const renamed = new Map<string, number>();
    m.fields.forEach((f, i) => {
      if (f.renamedFrom === undefined) return;
      const first = renamed.get(f.renamedFrom);
      if (seen.has(f.renamedFrom)) ctx.addIssue({ code: 'custom', path: ['fields', i, 'renamedFrom'], message: `'${f.renamedFrom}' is still a field of this module: only a field that is gone can be renamed` });
      else if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['fields', i, 'renamedFrom'], message: `fields.${first} is renamed from '${f.renamedFrom}' already` });
      else renamed.set(f.renamedFrom, i);
    });
    if (m.slug === undefined && slugFromName(m.name) === '') {
      ctx.addIssue({ code: 'custom', path: ['name'], message: NO_USABLE_SLUG_MESSAGE });
    }
  })
  .transform((m) => {
    const slug = m.slug ?? slugFromName(m.name);
    return { ...m, slug, git: { ...m.git, branchName: m.git.branchName ?? moduleBranchName(slug) } };
  });

export type ModuleInput = z.input<typeof moduleInputSchema>;
/** A parsed module definition: every default filled in. */
export type ModuleDefinition = z.output<typeof moduleInputSchema>;
export type ModuleField = ModuleDefinition['fields'][number];
export type ModuleGitSettings = ModuleDefinition['git'];

/** One validation problem, named by its path in the input: `fields.2.type`. */
export interface FieldError {
  field: string;
  message: string;
}

/** zod issues → `{ field, message }`; the root is the empty string. */
export function toFieldErrors(issues: readonly z.core.$ZodIssue[]): FieldError[] {
  return issues.map((issue) => ({ field: issue.path.map(String).join('.'), message: issue.message }));
}

export type ModuleParseResult = { ok: true; module: ModuleDefinition } | { ok: false; errors: FieldError[] };

export function parseModuleInput(input: unknown): ModuleParseResult {
  const r = moduleInputSchema.safeParse(input);
  return r.success ? { ok: true, module: r.data } : { ok: false, errors: toFieldErrors(r.error.issues) };
}

/** One file a template pack produced, its path relative to the repository root. */
export const generatedFileSchema = z.object({ path: z.string().min(1), content: z.string() });
export type GeneratedFile = z.infer<typeof generatedFileSchema>;

/** Files for one target application, as a preview (dry run) shows them and a generation commits them. */
export const applicationFilesSchema = z.object({
  application: z.string(),
  pack: z.string(),
  files: z.array(generatedFileSchema),
});
export type ApplicationFiles = z.infer<typeof applicationFilesSchema>;
