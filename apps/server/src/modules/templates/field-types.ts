import { STRING_FIELD_MAX_LENGTH, type FieldType, type ModuleField } from '@slipway/contracts';
import { phpLiteral, phpString, tsLiteral, tsString } from './literals.ts';

/**
 * What each field type becomes in each stack. One table per stack, so a template never decides a
 * type itself: it prints `f.kysely.dataType`, `f.laravel.migration`, `f.angular.validators`...
 */

/** numeric(12, 2): money-sized amounts, and the same precision in every stack. */
export const DECIMAL_PRECISION = 12;
export const DECIMAL_SCALE = 2;
/** Enum values are stored as short strings (portable; no native enum type needed). */
export const ENUM_COLUMN_LENGTH = 64;
const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const DECIMAL_LIMIT = 10 ** (DECIMAL_PRECISION - DECIMAL_SCALE);

/** A date-time default in UTC, so no database drops or reinterprets its offset. */
const utcIso = (v: unknown) => new Date(String(v)).toISOString();

const enumUnion = (f: ModuleField) => (f.options ?? []).map(tsString).join(' | ');
const orNull = (t: string, f: ModuleField) => (f.required ? t : `${t} | null`);

/** Value type of the field in API JSON and in TypeScript code. */
export function typescriptType(f: ModuleField): { type: string; valueType: string } {
  const base: Record<FieldType, string> = {
    string: 'string', text: 'string', integer: 'number', decimal: 'number', boolean: 'boolean',
    date: 'string', datetime: 'string', enum: enumUnion(f), relation: 'number',
  };
  const type = base[f.type];
  return { type, valueType: orNull(type, f) };
}

export interface KyselyFieldType {
  /** Argument of `addColumn(name, dataType)` in a migration. */
  dataType: string;
  /** Type of the column in the Kysely table interface (what the drivers return and accept). */
  column: string;
  /** TypeScript expression that turns a selected value `v` into the API value. */
  read: (v: string) => string;
  /** TypeScript expression that turns an API value `v` into a bindable value (better-sqlite3 binds no booleans). */
  write: (v: string) => string;
  /** Argument of `defaultTo(...)`, or undefined when the field has no default. */
  defaultLiteral: string | undefined;
}

/** Kysely, portable between SQLite and PostgreSQL (pg returns numeric as string and dates as Date). */
export function kyselyType(f: ModuleField): KyselyFieldType {
  const ts = typescriptType(f).type;
  // [what a select returns, what an insert takes, what an update takes, migration type]
  const shapes: Record<FieldType, [string, string, string]> = {
    string: [ts, ts, `varchar(${STRING_FIELD_MAX_LENGTH})`],
    text: [ts, ts, 'text'],
    integer: [ts, ts, 'integer'],
    relation: [ts, ts, 'integer'],
    enum: [ts, ts, `varchar(${ENUM_COLUMN_LENGTH})`],
    decimal: ['number | string', 'number', `numeric(${DECIMAL_PRECISION}, ${DECIMAL_SCALE})`],
    boolean: ['boolean | number', 'number', 'boolean'],
    date: ['Date | string', 'string', 'date'],
    // With time zone: PostgreSQL keeps the instant; SQLite stores the ISO text as given.
    datetime: ['Date | string', 'string', 'timestamptz'],
  };
  const [selectType, writeType, dataType] = shapes[f.type];
  const n = (t: string) => orNull(t, f);
  // A column with a default may be left out of an insert.
  const insertType = f.default !== null ? `${n(writeType)} | undefined` : n(writeType);
  const column =
    selectType === writeType && insertType === n(writeType)
      ? n(selectType)
      : `ColumnType<${n(selectType)}, ${insertType}, ${n(writeType)}>`;
  const conv: Partial<Record<FieldType, [(v: string) => string, (v: string) => string]>> = {
    decimal: [(v) => `Number(${v})`, (v) => v],
    boolean: [(v) => `Boolean(${v})`, (v) => `(${v} ? 1 : 0)`],
    date: [(v) => `dateOut(${v})`, (v) => v],
    datetime: [(v) => `dateTimeOut(${v})`, (v) => v],
  };
  const [read, write] = conv[f.type] ?? [(v: string) => v, (v: string) => v];
  return {
    dataType,
    column,
    defaultLiteral: f.default === null ? undefined : tsLiteral(f.type === 'datetime' ? utcIso(f.default) : f.default),
    read: (v) => (f.required || read(v) === v ? read(v) : `${v} === null ? null : ${read(v)}`),
    // Inputs may leave a value out (patches, defaults): undefined and null pass through.
    write: (v) => (write(v) === v ? v : `${v} == null ? ${v} : ${write(v)}`),
  };
}

/** zod 4 expression validating the API value (required strings must not be empty). */
export function zodType(f: ModuleField): string {
  const nonEmpty = f.required ? '.min(1)' : '';
  const base: Record<FieldType, string> = {
    string: `z.string()${nonEmpty}.max(${STRING_FIELD_MAX_LENGTH})`,
    text: `z.string()${nonEmpty}`,
    integer: `z.number().int().min(${INT_MIN}).max(${INT_MAX})`,
    decimal: `z.number().gt(-${DECIMAL_LIMIT}).lt(${DECIMAL_LIMIT})`,
    boolean: 'z.boolean()',
    date: 'z.iso.date()',
    datetime: 'z.iso.datetime({ offset: true })',
    enum: `z.enum([${(f.options ?? []).map(tsString).join(', ')}])`,
    relation: `z.number().int().positive()`,
  };
  const expr = base[f.type];
  if (!f.required) return `${expr}.nullable().optional()`;
  // A required field with a default may be left out: the column default applies.
  return f.default !== null ? `${expr}.optional()` : expr;
}

/** JSON Schema (draft 7, as Fastify's ajv reads it) of the API value. */
export function jsonSchemaType(f: ModuleField): Record<string, unknown> {
  const base: Record<FieldType, Record<string, unknown>> = {
    string: { type: 'string', maxLength: STRING_FIELD_MAX_LENGTH, ...(f.required ? { minLength: 1 } : {}) },
    text: { type: 'string', ...(f.required ? { minLength: 1 } : {}) },
    integer: { type: 'integer', minimum: INT_MIN, maximum: INT_MAX },
    decimal: { type: 'number', exclusiveMinimum: -DECIMAL_LIMIT, exclusiveMaximum: DECIMAL_LIMIT },
    boolean: { type: 'boolean' },
    date: { type: 'string', format: 'date' },
    datetime: { type: 'string', format: 'date-time' },
    enum: { type: 'string', enum: f.options ?? [] },
    relation: { type: 'integer', minimum: 1 },
  };
  const schema = { ...base[f.type] };
  if (!f.required) {
    schema.type = [schema.type, 'null'];
    if (Array.isArray(schema.enum)) schema.enum = [...schema.enum, null];
  }
  if (f.default !== null) schema.default = f.default;
  return schema;
}

export interface LaravelFieldType {
  /** The whole `$table->...;` statement of the migration. */
  migration: string;
  /**
   * The column for an alter migration, without `$table->` and `;`: its type, nullability and
   * default, plus `->unique()` and the foreign key only when asked (`->change()` takes neither).
   * `nullable` forces a nullable column (a required field added to a table that has rows).
   */
  column: (o: { nullable?: boolean; unique?: boolean; foreign?: boolean }) => string;
  /** Eloquent cast, when the attribute needs one. */
  cast: string | undefined;
  /** PHPDoc type of the model attribute. */
  phpType: string;
  /** Validation rules as PHP expressions, without the `unique` rule (it depends on the row being updated). */
  rules: string[];
}

export function laravelType(f: ModuleField, relatedTable: string | undefined): LaravelFieldType {
  const name = phpString(f.name);
  const column: Record<FieldType, string> = {
    string: `string(${name}, ${STRING_FIELD_MAX_LENGTH})`,
    text: `text(${name})`,
    integer: `integer(${name})`,
    decimal: `decimal(${name}, ${DECIMAL_PRECISION}, ${DECIMAL_SCALE})`,
    boolean: `boolean(${name})`,
    date: `date(${name})`,
    datetime: `dateTime(${name})`,
    enum: `enum(${name}, ${phpLiteral(f.options ?? [])})`,
    relation: `foreignId(${name})`,
  };
  const chainOf = (o: { nullable?: boolean; unique?: boolean; foreign?: boolean }) => {
    let chain = column[f.type];
    if (!f.required || o.nullable) chain += '->nullable()';
    if (f.unique && o.unique) chain += '->unique()';
    if (f.default !== null) {
      // Laravel's DATETIME columns hold UTC wall-clock time ('Y-m-d H:i:s').
      const value = f.type === 'datetime' ? utcIso(f.default).slice(0, 19).replace('T', ' ') : f.default;
      chain += `->default(${phpLiteral(value)})`;
    }
    // constrained() comes after the column modifiers: it starts the foreign key definition.
    if (f.type === 'relation' && o.foreign) chain += `->constrained(${phpString(relatedTable ?? '')})`;
    return chain;
  };
  const chain = chainOf({ unique: true, foreign: true });

  const cast: Partial<Record<FieldType, string>> = {
    // float, not decimal:2 (a string in JSON): every pack's API sends numbers.
    integer: 'integer', relation: 'integer', decimal: 'float', boolean: 'boolean',
    date: 'date:Y-m-d', datetime: 'datetime',
  };
  const typeRules: Record<FieldType, string[]> = {
    string: ['string', `max:${STRING_FIELD_MAX_LENGTH}`],
    text: ['string'],
    integer: ['integer', `between:${INT_MIN},${INT_MAX}`],
    decimal: ['numeric', `gt:-${DECIMAL_LIMIT}`, `lt:${DECIMAL_LIMIT}`],
    boolean: ['boolean'],
    date: ['date_format:Y-m-d'],
    datetime: ['date'],
    enum: [`in:${(f.options ?? []).join(',')}`],
    relation: ['integer', `exists:${relatedTable ?? ''},id`],
  };
  const presence = f.required ? (f.default !== null ? 'sometimes' : 'required') : 'nullable';
  const php: Record<FieldType, string> = {
    string: 'string', text: 'string', integer: 'int', decimal: 'float', boolean: 'bool',
    date: '\\Illuminate\\Support\\Carbon', datetime: '\\Illuminate\\Support\\Carbon', enum: 'string', relation: 'int',
  };
  return {
    migration: `$table->${chain};`,
    column: chainOf,
    cast: cast[f.type],
    phpType: f.required ? php[f.type] : `${php[f.type]}|null`,
    rules: [presence, ...typeRules[f.type]].map(phpString),
  };
}

export interface AngularFieldType {
  /** Which form element edits it. */
  control: 'input' | 'textarea' | 'checkbox' | 'select';
  /** `type` attribute of an `<input>`. */
  inputType: 'text' | 'number' | 'date' | 'datetime-local' | undefined;
  /** `step` attribute of a number input. */
  step: string | undefined;
  /** Type of the form control's value (null while empty, except a required checkbox). */
  valueType: string;
  /** Whether the control is `nonNullable` (reset gives the initial value, never null). */
  nonNullable: boolean;
  /** Validators as TypeScript expressions. */
  validators: string[];
  /** Initial value of the control, as a TypeScript expression. */
  initial: string;
  /** Expression turning the API value `v` into the control's value (`toLocalInput` for date-times). */
  toForm: (v: string) => string;
  /** Expression turning the control's value `v` into the API value (`fromLocalInput` for date-times). */
  fromForm: (v: string) => string;
}

/**
 * Angular reactive forms. A datetime is edited in a `datetime-local` input (local time, no zone), so
 * the form page converts with `toLocalInput` / `fromLocalInput`, which the Angular pack defines.
 */
export function angularType(f: ModuleField): AngularFieldType {
  const ts = typescriptType(f).type;
  const required = f.required ? ['Validators.required'] : [];
  const nonNullable = f.type === 'boolean' && f.required;
  const literal = f.default !== null ? tsLiteral(f.default) : nonNullable ? 'false' : 'null';
  const initial = f.type === 'datetime' && f.default !== null ? `toLocalInput(${literal})` : literal;
  // A required value is present once the form is valid; the fallback only satisfies the type.
  const orEmpty = (v: string, empty: string) => (f.required ? `${v} ?? ${empty}` : `${v} ?? null`);
  const base = {
    step: undefined,
    valueType: nonNullable ? 'boolean' : `${ts} | null`,
    nonNullable,
    initial,
    toForm: (v: string) => v,
  };
  switch (f.type) {
    case 'string':
      return { ...base, control: 'input', inputType: 'text', validators: [...required, `Validators.maxLength(${STRING_FIELD_MAX_LENGTH})`], fromForm: (v) => (f.required ? `${v} ?? ''` : `${v} || null`) };
    case 'text':
      return { ...base, control: 'textarea', inputType: undefined, validators: required, fromForm: (v) => (f.required ? `${v} ?? ''` : `${v} || null`) };
    case 'integer':
      return { ...base, control: 'input', inputType: 'number', step: '1', validators: [...required, `Validators.min(${INT_MIN})`, `Validators.max(${INT_MAX})`], fromForm: (v) => orEmpty(v, '0') };
    case 'decimal':
      return { ...base, control: 'input', inputType: 'number', step: `0.${'0'.repeat(DECIMAL_SCALE - 1)}1`, validators: required, fromForm: (v) => orEmpty(v, '0') };
    case 'relation':
      return { ...base, control: 'input', inputType: 'number', step: '1', validators: [...required, 'Validators.min(1)'], fromForm: (v) => orEmpty(v, '0') };
    case 'boolean':
      // A required checkbox is simply true or false; "required" must not mean "must be ticked".
      return { ...base, control: 'checkbox', inputType: undefined, validators: [], fromForm: (v) => (nonNullable ? v : `${v} ?? null`) };
    case 'date':
      return { ...base, control: 'input', inputType: 'date', validators: required, fromForm: (v) => (f.required ? `${v} ?? ''` : `${v} || null`) };
    case 'datetime':
      return {
        ...base,
        control: 'input',
        inputType: 'datetime-local',
        validators: required,
        toForm: (v) => (f.required ? `toLocalInput(${v})` : `${v} === null ? null : toLocalInput(${v})`),
        fromForm: (v) => (f.required ? `fromLocalInput(${v} ?? '')` : `${v} ? fromLocalInput(${v}) : null`),
      };
    case 'enum':
      return { ...base, control: 'select', inputType: undefined, validators: required, fromForm: (v) => orEmpty(v, tsString(f.options?.[0] ?? '')) };
  }
}

/**
 * A valid value of the field, for generated tests and examples; `variant` 1 differs from 0 (an
 * update). Relations point at id 1, which generated tests create.
 */
export function sampleValue(f: ModuleField, variant: 0 | 1 = 0): unknown {
  const options = f.options ?? [];
  const samples: Record<FieldType, [unknown, unknown]> = {
    string: ['Sample', 'Changed'],
    text: ['Some longer text.', 'Other text.'],
    integer: [42, 7],
    decimal: [12.5, 99.99],
    boolean: [true, false],
    date: ['2024-01-15', '2025-06-30'],
    datetime: ['2024-01-15T10:30:00.000Z', '2025-06-30T18:45:00.000Z'],
    enum: [options[0], options[1] ?? options[0]],
    relation: [1, 1],
  };
  return samples[f.type][variant];
}
