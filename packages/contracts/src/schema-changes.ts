import type { FieldError, ModuleDefinition, ModuleField } from './module.ts';

/**
 * Schema evolution (docs/modules.md): what a module's table must undergo between two saved
 * versions of its definition. Pure, no zod: the web page computes the same warnings as the server.
 */

/** What about a kept field changed, in its column. Labels and field order change no column. */
export const FIELD_ASPECTS = ['type', 'required', 'unique', 'default', 'options', 'relation'] as const;
export type FieldAspect = (typeof FIELD_ASPECTS)[number];

/**
 * One operation on the module's table. `before` is the field in the previous version, `after` in
 * the next: `add` has no before, `drop` no after. A renamed field that also changed gives a
 * `rename` and then a `retype` under its new name.
 */
export type SchemaChange =
  | { kind: 'add'; name: string; before: null; after: ModuleField; dataLoss: false }
  | { kind: 'drop'; name: string; before: ModuleField; after: null; dataLoss: true }
  | { kind: 'rename'; name: string; from: string; before: ModuleField; after: ModuleField; dataLoss: false }
  | { kind: 'retype'; name: string; before: ModuleField; after: ModuleField; aspects: FieldAspect[]; dataLoss: boolean };

/** Type changes whose every value fits the new type as it is. */
const WIDENINGS: ReadonlySet<string> = new Set(['string>text', 'enum>string', 'enum>text', 'integer>decimal']);

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The column aspects that differ between two versions of a field. */
export function changedAspects(before: ModuleField, after: ModuleField): FieldAspect[] {
  return FIELD_ASPECTS.filter((a) => {
    if (a === 'options') return before.type === 'enum' && after.type === 'enum' && !same(before.options, after.options);
    if (a === 'relation') return before.type === 'relation' && after.type === 'relation' && before.relation !== after.relation;
    return !same(before[a], after[a]);
  });
}

/** Whether stored values may not survive the change: a narrowing type, removed enum options, another relation target. */
function losesData(before: ModuleField, after: ModuleField, aspects: readonly FieldAspect[]): boolean {
  if (aspects.includes('type') && !WIDENINGS.has(`${before.type}>${after.type}`)) return true;
  if (aspects.includes('options') && (before.options ?? []).some((o) => !(after.options ?? []).includes(o))) return true;
  return aspects.includes('relation');
}

/**
 * The operations from `prev` to `next`, in the order a migration applies them: renames, retypes,
 * drops, adds (each in field order). A field is the same field when its name is kept, or when it
 * names the old one in `renamedFrom`; any other new name is a drop plus an add, and loses data.
 */
export function schemaChanges(prev: ModuleDefinition, next: ModuleDefinition): SchemaChange[] {
  const old = new Map(prev.fields.map((f) => [f.name, f]));
  const kept = new Set<string>();
  const renames: SchemaChange[] = [];
  const retypes: SchemaChange[] = [];
  const adds: SchemaChange[] = [];
  for (const after of next.fields) {
    const sameName = old.get(after.name);
    const renamedFrom = !sameName && after.renamedFrom !== undefined ? old.get(after.renamedFrom) : undefined;
    const before = sameName ?? renamedFrom;
    if (!before) {
      adds.push({ kind: 'add', name: after.name, before: null, after, dataLoss: false });
      continue;
    }
    kept.add(before.name);
    if (renamedFrom) renames.push({ kind: 'rename', name: after.name, from: before.name, before, after, dataLoss: false });
    const aspects = changedAspects(before, after);
    if (aspects.length) retypes.push({ kind: 'retype', name: after.name, before, after, aspects, dataLoss: losesData(before, after, aspects) });
  }
  const drops: SchemaChange[] = prev.fields
    .filter((f) => !kept.has(f.name))
    .map((before) => ({ kind: 'drop', name: before.name, before, after: null, dataLoss: true }));
  return [...renames, ...retypes, ...drops, ...adds];
}

/** What the person is told before saving: one sentence per change that loses (or may lose) data. */
export function dataLossWarnings(changes: readonly SchemaChange[]): string[] {
  const added = changes.filter((c) => c.kind === 'add').map((c) => c.name);
  return changes.flatMap((c) => {
    if (c.kind === 'drop') {
      const hint = added.length ? ` (if it was renamed to ${added.map((a) => `'${a}'`).join(' or ')}, set "Renamed from" on that field to keep it)` : '';
      return [`data in ${c.name} will be lost: the column is dropped${hint}`];
    }
    if (c.kind === 'retype' && c.dataLoss) {
      const why = c.aspects.includes('type')
        ? `its type changes from ${c.before.type} to ${c.after.type}`
        : c.aspects.includes('options')
          ? `options ${(c.before.options ?? []).filter((o) => !(c.after.options ?? []).includes(o)).map((o) => `'${o}'`).join(', ')} are removed`
          : `it points to ${c.after.relation} instead of ${c.before.relation}`;
      return [`data in ${c.name} may be lost: ${why}`];
    }
    return [];
  });
}

/**
 * Checks `renamedFrom` against the version being replaced (`prev`; undefined for a new module) and
 * returns the definition to store: a `renamedFrom` on a field whose name the previous version
 * already has is spent (it named an earlier rename) and is dropped, so a stored version only
 * carries the renames it made.
 */
export function checkRenames(prev: ModuleDefinition | undefined, next: ModuleDefinition): { module: ModuleDefinition; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const names = new Set(prev?.fields.map((f) => f.name) ?? []);
  const fields = next.fields.map((f, i) => {
    if (f.renamedFrom === undefined) return f;
    if (prev && names.has(f.name)) {
      const { renamedFrom: _spent, ...rest } = f;
      return rest;
    }
    if (!prev) errors.push({ field: `fields.${i}.renamedFrom`, message: 'a new module has no earlier field to rename' });
    else if (!names.has(f.renamedFrom)) errors.push({ field: `fields.${i}.renamedFrom`, message: `the module has no field '${f.renamedFrom}' to rename` });
    return f;
  });
  return { module: { ...next, fields }, errors };
}
