import { moduleBranchName, moduleSlugOfBranch, type FieldError, type ModuleDefinition } from '@slipway/contracts';

/**
 * Which branches a module may be published on. Slipway pushes with its own credentials, so these
 * names decide where a member's code lands: a module's branch is `<prefix><its slug>` and nothing
 * else, and it grows from its applications' configured base branch. Pure.
 */
export interface BranchRuleContext {
  /** `SLIPWAY_MODULE_BRANCH_PREFIX`, `module/` by default. */
  prefix: string;
  /** The base branch of each application the module targets. */
  targets: readonly { id: string; baseBranch: string }[];
  /** The base branch of every configured application: none of them is ever a module's branch. */
  baseBranches: readonly string[];
}

/** The problems of a module's git settings, named by field; empty when it may be published. */
export function moduleBranchProblems(m: Pick<ModuleDefinition, 'slug' | 'git'>, ctx: BranchRuleContext): FieldError[] {
  if (!m.git.enabled) return []; // nothing is pushed; checked again when git is turned on
  const problems: FieldError[] = [];
  const own = moduleBranchName(m.slug, ctx.prefix);
  if (!m.git.createBranch) {
    problems.push({ field: 'git.createBranch', message: `a module is published on its own branch '${own}', never straight onto a base branch` });
  }
  const branch = m.git.branchName ?? own;
  if (branch !== own) {
    problems.push({ field: 'git.branchName', message: `must be '${own}': a module is published on its own branch only` });
  } else if (ctx.baseBranches.includes(branch)) {
    problems.push({ field: 'git.branchName', message: `'${branch}' is an application's base branch` });
  }
  const base = m.git.baseBranch;
  if (moduleSlugOfBranch(base, ctx.prefix) !== null) {
    problems.push({ field: 'git.baseBranch', message: `'${base}' is a module branch (under '${ctx.prefix}'), not a base branch` });
  } else {
    const other = ctx.targets.filter((t) => t.baseBranch !== base);
    if (other.length) {
      problems.push({
        field: 'git.baseBranch',
        message: `must be the configured base branch of each target application (${other.map((t) => `${t.id}: '${t.baseBranch}'`).join(', ')})`,
      });
    }
  }
  return problems;
}

/**
 * The defaults the contracts cannot know: a missing branch name is `<prefix><slug>`, and a missing
 * base branch is the targets' configured one when they agree. Given values are kept (and checked).
 */
export function withBranchDefaults<M extends Pick<ModuleDefinition, 'slug' | 'git'>>(m: M, input: unknown, ctx: BranchRuleContext): M {
  const given = (input as { git?: { branchName?: unknown; baseBranch?: unknown } } | null)?.git ?? {};
  const bases = [...new Set(ctx.targets.map((t) => t.baseBranch))];
  return {
    ...m,
    git: {
      ...m.git,
      branchName: given.branchName === undefined ? moduleBranchName(m.slug, ctx.prefix) : m.git.branchName,
      baseBranch: given.baseBranch === undefined && bases.length === 1 ? bases[0]! : m.git.baseBranch,
    },
  };
}
