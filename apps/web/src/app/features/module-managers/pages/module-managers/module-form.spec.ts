import { TestBed } from '@angular/core/testing';
import { NonNullableFormBuilder } from '@angular/forms';
import { applyServerErrors, buildFieldForm, buildModuleForm, defaultValue, effectiveSlug, errorText, toModuleInput } from './module-form';

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
      git: { enabled: true, createBranch: true, branchName: '', baseBranch: 'main' },
    });
    expect(toModuleInput(form)).toEqual({
      name: 'Products',
      description: 'What we sell',
      fields: [
        { name: 'price', type: 'decimal', required: true, unique: false, default: 9.5 },
        { name: 'status', type: 'enum', required: false, unique: false, default: 'draft', options: ['draft', 'live'] },
      ],
      applications: ['backend', 'frontend'],
      git: { enabled: true, createBranch: true, baseBranch: 'main' },
    });
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

  it('checks field names and branch names locally with the contracts rules', () => {
    const form = buildModuleForm(fb());
    const field = form.controls.fields.at(0);
    field.controls.name.setValue('Price');
    expect(errorText(field.controls.name)).toMatch(/snake_case/);
    field.controls.name.setValue('id');
    expect(errorText(field.controls.name)).toBe('is reserved');
    form.controls.git.controls.branchName.setValue('module/bad..name');
    expect(errorText(form.controls.git.controls.branchName)).toBe('not a valid git branch name');
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
    expect(errorText(form.controls.git.controls.branchName)).toBe('is not a valid git branch name');
    expect(rest.map((e) => e.field)).toEqual(['fields', '']);
    // Editing the value clears the server's message.
    form.controls.fields.at(1).controls.type.setValue('string');
    expect(errorText(form.controls.fields.at(1).controls.type)).toBeNull();
  });
});
