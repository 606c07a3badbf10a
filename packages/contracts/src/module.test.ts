import { describe, expect, it } from 'vitest';
import { NO_USABLE_SLUG_MESSAGE, isValidBranchName, moduleNameProblem, isValidModuleBranchPrefix, moduleBranchName, moduleSlugOfBranch, moduleInputSchema, parseModuleInput, slugFromName, type ModuleInput } from './module.ts';

const base = (over: Partial<ModuleInput> = {}): ModuleInput => ({
  name: 'Products',
  fields: [{ name: 'title', type: 'string', required: true }],
  applications: ['backend'],
  ...over,
});

function errorsOf(input: unknown) {
  const r = parseModuleInput(input);
  if (r.ok) throw new Error('expected validation errors');
  return r.errors;
}

describe('module definition', () => {
  it('fills defaults: slug from the name, branch module/<slug>, base branch main', () => {
    const m = moduleInputSchema.parse(base({ name: 'Product Catégories' }));
    expect(m.slug).toBe('product-categories');
    expect(m.git).toEqual({ enabled: true, createBranch: true, branchName: 'module/product-categories', baseBranch: 'main' });
    expect(m.description).toBe('');
    expect(m.fields[0]).toMatchObject({ name: 'title', required: true, unique: false, default: null });
  });

  it('keeps a given slug and branch settings', () => {
    const m = moduleInputSchema.parse(
      base({ slug: 'goods', git: { enabled: false, createBranch: false, branchName: 'feature/goods', baseBranch: 'develop' } }),
    );
    expect(m.slug).toBe('goods');
    expect(m.git).toEqual({ enabled: false, createBranch: false, branchName: 'feature/goods', baseBranch: 'develop' });
  });

  it('defaults the branch to module/<slug> when only some git settings are given', () => {
    expect(moduleInputSchema.parse(base({ git: { baseBranch: 'develop' } })).git.branchName).toBe('module/products');
  });

  it('names the field of every error', () => {
    const errors = errorsOf({
      name: 'Shop',
      slug: 'Bad Slug',
      fields: [
        { name: 'title', type: 'string' },
        { name: 'title', type: 'text' },
        { name: 'kind', type: 'colour' },
      ],
      applications: [],
    });
    const fields = errors.map((e) => e.field);
    expect(fields).toContain('slug');
    expect(fields).toContain('fields.2.type');
    expect(fields).toContain('applications');
  });

  it('refuses duplicate field names, pointing at the second one', () => {
    const errors = errorsOf(base({ fields: [{ name: 'title', type: 'string' }, { name: 'title', type: 'text' }] }));
    expect(errors).toEqual([{ field: 'fields.1.name', message: 'duplicates fields.0.name' }]);
  });

  it.each(['id', 'created_at', 'updated_at', 'Title', '1st', 'has space', 'a-b', 'constructor'])('refuses field name %j', (name) => {
    expect(errorsOf(base({ fields: [{ name, type: 'string' }] })).map((e) => e.field)).toEqual(['fields.0.name']);
  });

  it('needs options for an enum and a target for a relation', () => {
    const errors = errorsOf(base({ fields: [{ name: 'status', type: 'enum' }, { name: 'customer_id', type: 'relation' }] }));
    expect(errors.map((e) => e.field)).toEqual(['fields.0.options', 'fields.1.relation']);
    expect(errorsOf(base({ fields: [{ name: 'status', type: 'enum', options: ['a', 'a'] }] }))[0]?.field).toBe('fields.0.options');
    expect(errorsOf(base({ fields: [{ name: 'status', type: 'enum', options: ["it's"] }] }))[0]?.field).toBe('fields.0.options.0');
    expect(errorsOf(base({ fields: [{ name: 'n', type: 'string', options: ['a'] }] }))[0]?.field).toBe('fields.0.options');
    expect(errorsOf(base({ fields: [{ name: 'n', type: 'string', relation: 'x' }] }))[0]?.field).toBe('fields.0.relation');
  });

  it.each([
    ['string', 'hello', 42],
    ['string', '', 'x'.repeat(256)],
    ['text', 'long text', true],
    ['integer', 3, 3.5],
    ['integer', -7, '3'],
    ['decimal', 9.99, '9.99'],
    ['boolean', false, 'false'],
    ['date', '2024-02-29', '2023-02-29'],
    ['datetime', '2024-01-15T10:30:00Z', '2024-01-15'],
    ['enum', 'draft', 'gone'],
  ] as const)('checks a %s default: accepts %j, refuses %j', (type, good, bad) => {
    const field = (d: unknown) => ({ name: 'f', type, default: d, ...(type === 'enum' ? { options: ['draft', 'live'] } : {}) });
    expect(parseModuleInput(base({ fields: [field(good)] })).ok).toBe(true);
    expect(errorsOf(base({ fields: [field(bad)] }))).toEqual([{ field: 'fields.0.default', message: expect.stringMatching(/^default /) }]);
  });

  it('refuses a default on a relation, and treats a null default as none', () => {
    expect(errorsOf(base({ fields: [{ name: 'c', type: 'relation', relation: 'customers', default: 1 }] }))[0]?.field).toBe('fields.0.default');
    expect(moduleInputSchema.parse(base({ fields: [{ name: 'c', type: 'integer', default: null }] })).fields[0]?.default).toBeNull();
  });

  it('asks for a slug when the name gives none', () => {
    expect(errorsOf(base({ name: '123 ???' }))).toEqual([{ field: 'name', message: expect.stringContaining('slug') }]);
    expect(parseModuleInput(base({ name: '123 ???', slug: 'numbers' })).ok).toBe(true);
  });

  it('refuses bad branch names with the path of the setting', () => {
    for (const branchName of ['module/a..b', 'module/a b', '-x', 'a/.hidden', 'x.lock', 'a//b', 'a~1', 'ref@{1}']) {
      expect(errorsOf(base({ git: { branchName } })).map((e) => e.field)).toEqual(['git.branchName']);
    }
    expect(errorsOf(base({ git: { baseBranch: 'ma in' } })).map((e) => e.field)).toEqual(['git.baseBranch']);
  });

  it('refuses duplicate applications', () => {
    expect(errorsOf(base({ applications: ['backend', 'backend'] })).map((e) => e.field)).toEqual(['applications']);
  });
});

describe('helpers', () => {
  it('derives slugs', () => {
    expect(slugFromName('  Hello, World! ')).toBe('hello-world');
    expect(slugFromName('Ça va')).toBe('ca-va');
    expect(slugFromName('42 items')).toBe('items');
    expect(slugFromName('x'.repeat(80))).toHaveLength(63);
  });

  it('checks branch names like git check-ref-format', () => {
    expect(isValidBranchName('module/products')).toBe(true);
    expect(isValidBranchName('release/v1.2')).toBe(true);
    expect(isValidBranchName('module/')).toBe(false);
    expect(isValidBranchName('a.')).toBe(false);
    expect(isValidBranchName('@')).toBe(false);
    expect(isValidBranchName('a\\b')).toBe(false);
  });
});

describe('module branch prefix', () => {
  it('a prefix ends in / or - and makes a valid branch with any slug', () => {
    for (const p of ['module/', 'team/modules/', 'mod-']) expect(isValidModuleBranchPrefix(p), p).toBe(true);
    for (const p of ['', 'module', '/', '-', 'a//', 'a..b/', 'ma in/', '.x/']) expect(isValidModuleBranchPrefix(p), p).toBe(false);
  });
  it('names a module branch and reads the slug back', () => {
    expect(moduleBranchName('orders')).toBe('module/orders');
    expect(moduleBranchName('orders', 'team/')).toBe('team/orders');
    expect(moduleSlugOfBranch('module/orders')).toBe('orders');
    expect(moduleSlugOfBranch('main')).toBeNull();
    expect(moduleSlugOfBranch('module/orders', 'team/')).toBeNull();
  });
});

describe('moduleNameProblem (the web form applies it as the name is typed)', () => {
  const input = (name: string, slug?: string) => ({ name, ...(slug ? { slug } : {}), fields: [{ name: 'title', type: 'string' }], applications: ['backend'] });
  const serverNameError = (name: string, slug?: string) => {
    const r = parseModuleInput(input(name, slug));
    return r.ok ? null : (r.errors.find((e) => e.field === 'name')?.message ?? null);
  };

  it.each([['!!!'], ['   '], ['123'], [''], ['a\u0007b'], ['x'.repeat(101)], ['123 products'], ['Products'], ['Catégories']])(
    'agrees with the server on %j',
    (name) => {
      expect(moduleNameProblem(name)).toBe(serverNameError(name));
      expect(moduleNameProblem(name, 'given')).toBe(serverNameError(name, 'given'));
    },
  );

  it('refuses names that give no slug unless a slug is given', () => {
    expect(moduleNameProblem('!!!')).toBe(NO_USABLE_SLUG_MESSAGE);
    expect(moduleNameProblem('!!!', 'bangs')).toBeNull();
    expect(moduleNameProblem('   ')).toBe('is required');
  });
});
