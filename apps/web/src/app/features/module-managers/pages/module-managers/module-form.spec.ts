import { TestBed } from '@angular/core/testing';
import { NonNullableFormBuilder } from '@angular/forms';
import { NO_USABLE_SLUG_MESSAGE, parseModuleInput, type ModuleView } from '@slipway/contracts';
import {
  applyServerErrors,
  baseBranchOf,
  buildFieldForm,
  buildModuleForm,
  dataLossOf,
  defaultValue,
  formerFieldNames,
  droppedFromName,
  effectiveSlug,
  errorText,
  patchModuleForm,
  plural,
  toModuleInput,
} from './module-form';

describe('module form', () => {
  const fb = () => TestBed.inject(NonNullableFormBuilder);

  it('builds the module input of packages/contracts from the form', () => {
    const form = buildModuleForm(fb());
    form.controls.fields.push(buildFieldForm(fb(), { name: 'status', type: 'enum', options: ['draft', 'live'], default: 'draft' }));
    form.patchValue({
      name: 'Products',
      description: 'What we sell',
      fields: [{ name: 'price', type: 'decimal', required: true, default: '9.5' }],
      applications: ['backend', 'frontend'],
      git: { enabled: true },
    });
    expect(toModuleInput(form)).toEqual({
      name: 'Products',
      description: 'What we sell',
      fields: [
        { name: 'price', type: 'decimal', required: true, unique: false, default: 9.5 },
        { name: 'status', type: 'enum', required: false, unique: false, default: 'draft', options: ['draft', 'live'] },
      ],
      applications: ['backend', 'frontend'],
      // Branch and base are the server's to fill in: the only ones it accepts.
      git: { enabled: true, createBranch: true },
    });
  });

  it('loads a module as the server sends it and gives back an input the server accepts unchanged', () => {
    const stored: ModuleView = {
      name: 'Orders',
      slug: 'orders',
      description: 'Placed orders',
      fields: [
        { name: 'total', type: 'decimal', required: true, unique: false, default: 0 },
        { name: 'state', type: 'enum', required: false, unique: false, default: 'new', options: ['new', 'paid'] },
      ],
      applications: ['backend'],
      git: { enabled: true, createBranch: true, branchName: 'module/orders', baseBranch: 'develop' },
      owner_id: 1,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
      latest_deployment: null,
    };
    const form = buildModuleForm(fb());
    patchModuleForm(fb(), form, stored);
    expect(form.valid).toBe(true);
    const input = toModuleInput(form);
    expect(input.git).toEqual({ enabled: true, createBranch: true });
    const parsed = parseModuleInput(input);
    expect(parsed.ok && parsed.module.fields).toEqual(stored.fields);
    expect(parsed.ok && { name: parsed.module.name, slug: parsed.module.slug, applications: parsed.module.applications }).toEqual({
      name: 'Orders',
      slug: 'orders',
      applications: ['backend'],
    });
  });

  it('editing: offers the saved fields that are gone as "Renamed from", sends it, and warns of the data a drop loses', () => {
    const saved = {
      name: 'Parts', slug: 'parts', description: '', applications: ['backend'],
      git: { enabled: true, createBranch: true, branchName: 'module/parts', baseBranch: 'main' },
      fields: [
        { name: 'title', type: 'string', required: true, unique: false, default: null },
        { name: 'note', type: 'text', required: false, unique: false, default: null },
      ],
      owner_id: 1, created_at: '2024-01-15T10:30:00Z', updated_at: '2024-01-15T10:30:00Z', latest_deployment: null,
    } as ModuleView;
    const form = buildModuleForm(fb());
    patchModuleForm(fb(), form, saved);
    expect(dataLossOf(saved, toModuleInput(form))).toEqual([]);
    form.controls.fields.at(1).controls.name.setValue('remark');
    expect(formerFieldNames(saved, toModuleInput(form))).toEqual(['note']);
    expect(dataLossOf(saved, toModuleInput(form))).toEqual([
      `data in note will be lost: the column is dropped (if it was renamed to 'remark', set "Renamed from" on that field to keep it)`,
    ]);
    form.controls.fields.at(1).controls.renamedFrom.setValue('note');
    expect(toModuleInput(form).fields[1]).toEqual({ name: 'remark', type: 'text', required: false, unique: false, renamedFrom: 'note' });
    expect(dataLossOf(saved, toModuleInput(form))).toEqual([]);
    form.controls.fields.at(0).controls.type.setValue('integer');
    expect(dataLossOf(saved, toModuleInput(form))).toEqual(['data in title may be lost: its type changes from string to integer']);
  });

  it('checks the module name and slug with the server rules, as they are typed', () => {
    const form = buildModuleForm(fb());
    const { name, slug } = form.controls;
    name.setValue('   ');
    expect(errorText(name)).toBe('Required');
    name.setValue('!!!');
    expect(errorText(name)).toBe(NO_USABLE_SLUG_MESSAGE);
    // A typed slug makes the name acceptable (the page re-checks the name when the slug changes).
    slug.setValue('bangs');
    name.updateValueAndValidity();
    expect(name.valid).toBe(true);
    slug.setValue('Bad Slug');
    expect(errorText(slug)).toMatch(/lowercase letters, digits and dashes/);
    name.setValue('123 products');
    slug.setValue('');
    expect(name.valid).toBe(true);
    expect(effectiveSlug('123 products', '')).toBe('products');
    expect(droppedFromName('123 products')).toBe('123 ');
    expect(droppedFromName('Products')).toBe('');
  });

  it('takes the base branch from the chosen applications, and flags a mix', () => {
    const apps = [
      { id: 'backend', name: 'Backend', base_branch: 'main', template_pack: 'typescript-api', git: true },
      { id: 'frontend', name: 'Frontend', base_branch: 'main', template_pack: 'angular', git: true },
      { id: 'legacy', name: 'Legacy', base_branch: 'develop', template_pack: 'laravel', git: true },
    ];
    expect(baseBranchOf(['backend', 'frontend'], apps)).toEqual({ branch: 'main', problem: null });
    expect(baseBranchOf([], apps)).toEqual({ branch: null, problem: null });
    const mixed = baseBranchOf(['backend', 'legacy'], apps);
    expect(mixed.branch).toBeNull();
    expect(mixed.problem).toContain('legacy: develop');
  });

  it('pluralises counts', () => {
    expect(plural(1, 'field')).toBe('1 field');
    expect(plural(0, 'file')).toBe('0 files');
    expect(plural(3, 'field')).toBe('3 fields');
  });

  it('derives the slug from the name unless one is given', () => {
    expect(effectiveSlug('Product Catégories', '')).toBe('product-categories');
    expect(effectiveSlug('Products', 'goods')).toBe('goods');
  });

  it('types defaults by field type, leaving odd input for the server to judge', () => {
    expect(defaultValue('integer', '42')).toBe(42);
    expect(defaultValue('integer', '4.2')).toBe('4.2');
    expect(defaultValue('boolean', 'true')).toBe(true);
    expect(defaultValue('string', '')).toBeUndefined();
  });

  it('checks field names locally with the contracts rules', () => {
    const form = buildModuleForm(fb());
    const field = form.controls.fields.at(0);
    field.controls.name.setValue('Price');
    expect(errorText(field.controls.name)).toMatch(/snake_case/);
    field.controls.name.setValue('id');
    expect(errorText(field.controls.name)).toBe('is reserved');
  });

  it('puts the server field errors on the controls they name, the rest at the top', () => {
    const form = buildModuleForm(fb());
    form.controls.fields.push(buildFieldForm(fb()));
    const rest = applyServerErrors(form, [
      { field: 'fields.1.type', message: 'Invalid option' },
      { field: 'fields.0.options.1', message: 'must be letters' },
      { field: 'git.branchName', message: 'is not a valid git branch name' },
      { field: 'fields', message: 'a module needs at least one field' },
      { field: '', message: 'something about the whole module' },
    ]);
    expect(errorText(form.controls.fields.at(1).controls.type)).toBe('Invalid option');
    expect(errorText(form.controls.fields.at(0).controls.options)).toBe('must be letters');
    // The branch is not editable: the server's word about it goes to the top.
    expect(rest.map((e) => e.field)).toEqual(['git.branchName', 'fields', '']);
    // Editing the value clears the server's message.
    form.controls.fields.at(1).controls.type.setValue('string');
    expect(errorText(form.controls.fields.at(1).controls.type)).toBeNull();
  });
});
