import { describe, expect, it } from 'vitest';
import { moduleInputSchema, parseModuleInput, type ModuleInput } from './module.ts';
import { checkRenames, dataLossWarnings, schemaChanges } from './schema-changes.ts';

const define = (fields: ModuleInput['fields']) => moduleInputSchema.parse({ name: 'Products', applications: ['backend'], fields });
const v1 = define([
  { name: 'title', type: 'string', required: true },
  { name: 'stock', type: 'integer' },
  { name: 'note', type: 'text' },
  { name: 'status', type: 'enum', options: ['draft', 'live'] },
]);
const kinds = (prev = v1, next = v1) => schemaChanges(prev, next).map((c) => `${c.kind} ${c.kind === 'rename' ? `${c.from}>` : ''}${c.name}`);

describe('schemaChanges', () => {
  it('finds nothing between equal versions, nor for a label, order or description change', () => {
    expect(schemaChanges(v1, v1)).toEqual([]);
    const relabelled = define([...v1.fields].reverse().map((f) => ({ ...f, label: `The ${f.name}` })));
    expect(schemaChanges(v1, { ...relabelled, description: 'other' })).toEqual([]);
  });

  it('adds a new field', () => {
    const next = define([...v1.fields, { name: 'sku', type: 'string' }]);
    expect(kinds(v1, next)).toEqual(['add sku']);
    expect(schemaChanges(v1, next)[0]).toMatchObject({ kind: 'add', before: null, after: { name: 'sku' }, dataLoss: false });
  });

  it('drops a removed field, losing its data', () => {
    const next = define(v1.fields.filter((f) => f.name !== 'note'));
    expect(schemaChanges(v1, next)).toEqual([{ kind: 'drop', name: 'note', before: v1.fields[2], after: null, dataLoss: true }]);
    expect(dataLossWarnings(schemaChanges(v1, next))).toEqual(['data in note will be lost: the column is dropped']);
  });

  it('renames only with renamedFrom; otherwise a drop and an add, with a warning that says how to keep the data', () => {
    const renamed = define(v1.fields.map((f) => (f.name === 'note' ? { ...f, name: 'remark', renamedFrom: 'note' } : f)));
    expect(kinds(v1, renamed)).toEqual(['rename note>remark']);
    expect(dataLossWarnings(schemaChanges(v1, renamed))).toEqual([]);
    const plain = define(v1.fields.map((f) => (f.name === 'note' ? { ...f, name: 'remark' } : f)));
    expect(kinds(v1, plain)).toEqual(['drop note', 'add remark']);
    expect(dataLossWarnings(schemaChanges(v1, plain))).toEqual([
      `data in note will be lost: the column is dropped (if it was renamed to 'remark', set "Renamed from" on that field to keep it)`,
    ]);
  });

  it('retypes a field whose column changed, and says when values may not survive', () => {
    const next = define(
      v1.fields.map((f) =>
        f.name === 'stock' ? { ...f, type: 'decimal' as const } : f.name === 'title' ? { ...f, type: 'integer' as const } : f.name === 'status' ? { ...f, options: ['live'] } : f,
      ),
    );
    const changes = schemaChanges(v1, next);
    expect(changes.map((c) => [c.name, c.kind === 'retype' && c.aspects, c.dataLoss])).toEqual([
      ['title', ['type'], true],
      ['stock', ['type'], false], // integer → decimal widens
      ['status', ['options'], true],
    ]);
    expect(dataLossWarnings(changes)).toEqual([
      'data in title may be lost: its type changes from string to integer',
      "data in status may be lost: options 'draft' are removed",
    ]);
    const flags = define(v1.fields.map((f) => (f.name === 'note' ? { ...f, required: true, unique: true, default: 'x' } : f)));
    expect(schemaChanges(v1, flags)).toMatchObject([{ kind: 'retype', name: 'note', aspects: ['required', 'unique', 'default'], dataLoss: false }]);
  });

  it('a renamed field that also changed is a rename, then a retype under its new name', () => {
    const next = define(v1.fields.map((f) => (f.name === 'stock' ? { ...f, name: 'quantity', renamedFrom: 'stock', type: 'string' as const } : f)));
    expect(kinds(v1, next)).toEqual(['rename stock>quantity', 'retype quantity']);
  });
});

describe('renamedFrom', () => {
  it('must name a field that is gone from the definition, once', () => {
    const input = (fields: ModuleInput['fields']) => ({ name: 'Products', applications: ['backend'], fields });
    const still = parseModuleInput(input([{ name: 'a', type: 'string' }, { name: 'b', type: 'string', renamedFrom: 'a' }]));
    expect(still.ok ? [] : still.errors).toEqual([{ field: 'fields.1.renamedFrom', message: "'a' is still a field of this module: only a field that is gone can be renamed" }]);
    const twice = parseModuleInput(input([{ name: 'b', type: 'string', renamedFrom: 'a' }, { name: 'c', type: 'string', renamedFrom: 'a' }]));
    expect(twice.ok ? [] : twice.errors).toEqual([{ field: 'fields.1.renamedFrom', message: "fields.0 is renamed from 'a' already" }]);
  });

  it('checkRenames: must name a field of the previous version; a spent one is dropped; a new module renames nothing', () => {
    const ok = define(v1.fields.map((f) => (f.name === 'note' ? { ...f, name: 'remark', renamedFrom: 'note' } : f)));
    expect(checkRenames(v1, ok)).toEqual({ module: ok, errors: [] });
    // The next update still carries it: the previous version has 'remark', so it is spent.
    const spent = checkRenames(ok, ok);
    expect(spent.errors).toEqual([]);
    expect(spent.module.fields.find((f) => f.name === 'remark')).not.toHaveProperty('renamedFrom');
    const unknown = define(v1.fields.map((f) => (f.name === 'note' ? { ...f, name: 'remark', renamedFrom: 'nope' } : f)));
    expect(checkRenames(v1, unknown).errors).toEqual([{ field: 'fields.2.renamedFrom', message: "the module has no field 'nope' to rename" }]);
    expect(checkRenames(undefined, ok).errors).toEqual([{ field: 'fields.2.renamedFrom', message: 'a new module has no earlier field to rename' }]);
  });
});
