import { describe, expect, it } from 'vitest';
import { parseModuleInput, type ModuleDefinition } from '@slipway/contracts';
import { moduleBranchProblems, withBranchDefaults, type BranchRuleContext } from './branch-rules.ts';

/** Where a module may be published: its own `<prefix><slug>`, grown from its targets' base branch. */

const ctx: BranchRuleContext = {
  prefix: 'module/',
  targets: [
    { id: 'backend', baseBranch: 'main' },
    { id: 'frontend', baseBranch: 'main' },
  ],
  baseBranches: ['main', 'develop'],
};
const input = (git: Record<string, unknown> = {}) => ({ name: 'Products', fields: [{ name: 'title', type: 'string' }], applications: ['backend', 'frontend'], git });
const parsed = (raw: ReturnType<typeof input>): ModuleDefinition => {
  const r = parseModuleInput(raw);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.module;
};
const problems = (git: Record<string, unknown>, c: BranchRuleContext = ctx) => {
  const raw = input(git);
  return moduleBranchProblems(withBranchDefaults(parsed(raw), raw, c), c);
};
const fields = (git: Record<string, unknown>, c?: BranchRuleContext) => problems(git, c).map((p) => p.field);

describe('module branch rules', () => {
  it('accepts the defaults and the explicit own branch', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ branchName: 'module/products', baseBranch: 'main' })).toEqual([]);
  });

  it("refuses another module's branch, a base branch, or any other name, naming git.branchName", () => {
    expect(problems({ branchName: 'module/orders' })).toEqual([{ field: 'git.branchName', message: "must be 'module/products': a module is published on its own branch only" }]);
    expect(fields({ branchName: 'main' })).toEqual(['git.branchName']);
    expect(fields({ branchName: 'feature/products' })).toEqual(['git.branchName']);
    expect(fields({ branchName: 'module/products/x' })).toEqual(['git.branchName']);
  });

  it('refuses publishing straight onto the base branch (no branch of its own), naming git.createBranch', () => {
    expect(fields({ createBranch: false })).toEqual(['git.createBranch']);
  });

  it("refuses a base branch other than the targets' configured one, or a module branch as the base, naming git.baseBranch", () => {
    expect(problems({ baseBranch: 'develop' })).toEqual([
      { field: 'git.baseBranch', message: "must be the configured base branch of each target application (backend: 'main', frontend: 'main')" },
    ]);
    expect(problems({ baseBranch: 'module/orders' })).toEqual([{ field: 'git.baseBranch', message: "'module/orders' is a module branch (under 'module/'), not a base branch" }]);
  });

  it('a module branch that is some application’s base branch is refused even when it is the module’s own name', () => {
    expect(fields({}, { ...ctx, baseBranches: ['main', 'module/products'] })).toEqual(['git.branchName']);
  });

  it('defaults: the branch under the configured prefix, the base branch of the targets when they agree', () => {
    const c = { ...ctx, prefix: 'team/', targets: [{ id: 'backend', baseBranch: 'develop' }] };
    const raw = input();
    const m = withBranchDefaults(parsed(raw), raw, c);
    expect(m.git).toMatchObject({ branchName: 'team/products', baseBranch: 'develop' });
    expect(moduleBranchProblems(m, c)).toEqual([]);
    // Under a prefix, the contracts' `module/<slug>` default is not the module's branch.
    expect(fields({ branchName: 'module/products' }, c)).toEqual(['git.branchName']);
    // Targets that disagree: no default can fit both, and the given (or contract) default is refused.
    const split = { ...ctx, targets: [{ id: 'backend', baseBranch: 'main' }, { id: 'legacy', baseBranch: 'develop' }] };
    expect(fields({}, split)).toEqual(['git.baseBranch']);
  });

  it('says nothing while git publishing is off (checked again when it is turned on)', () => {
    expect(problems({ enabled: false, createBranch: false, branchName: 'main' })).toEqual([]);
  });
});
