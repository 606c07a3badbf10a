import { moduleSlugOfBranch } from '@slipway/contracts';
import type { User } from '../auth/auth.service.ts';
import type { RefUpdate } from './push-events.ts';

/**
 * Who may read and move which refs of a hosted repository (`/git/<app>.git`). Pure: the route
 * gathers the facts (the application's rules, the owners of the module branches named) and asks.
 *
 * - admin: reads, and pushes anywhere (the base branch included).
 * - deployer (named in the application's `deployers`): reads, and pushes branches other than the
 *   base branch; under the module prefix only the branches of modules they own.
 * - anyone else (a member): nothing. A member is trusted with their own modules, which Slipway
 *   publishes for them; a clone would show every other member's module branches.
 * Nobody deletes the base branch over HTTP.
 */
export type RepoRole = 'admin' | 'deployer' | 'none';

/** What an application's configuration says about its repository. */
export interface RepoRules {
  baseBranch: string;
  /** Lower-case emails. */
  deployers?: readonly string[];
}

export function repoRole(user: Pick<User, 'role' | 'email'>, rules: RepoRules | undefined): RepoRole {
  if (user.role === 'admin') return 'admin';
  return rules?.deployers?.includes(user.email.toLowerCase()) ? 'deployer' : 'none';
}

/** Fetch, clone and push all need a role: what a push reveals of the refs is what a clone does. */
export const mayAccess = (role: RepoRole): boolean => role !== 'none';

export interface PushContext {
  role: RepoRole;
  userId: number;
  baseBranch: string;
  /** `SLIPWAY_MODULE_BRANCH_PREFIX`. */
  modulePrefix: string;
  /** Owner of each module slug named by a branch under the prefix (null: no such module, or no owner). */
  moduleOwners: ReadonlyMap<string, number | null>;
}

const BRANCH = 'refs/heads/';
const isDeletion = (u: RefUpdate) => /^0+$/.test(u.after);

/** The slugs under the module prefix that `updates` touch: their owners decide a deployer's push. */
export function moduleSlugsOf(updates: readonly RefUpdate[], modulePrefix: string): string[] {
  const slugs = updates.map((u) => (u.ref.startsWith(BRANCH) ? moduleSlugOfBranch(u.ref.slice(BRANCH.length), modulePrefix) : null));
  return [...new Set(slugs.filter((s): s is string => s !== null))];
}

/** Why this update is refused (shown to the person by git), or null when it may go ahead. */
export function refusalOf(update: RefUpdate, ctx: PushContext): string | null {
  const branch = update.ref.startsWith(BRANCH) ? update.ref.slice(BRANCH.length) : null;
  if (branch === ctx.baseBranch && isDeletion(update)) return `'${ctx.baseBranch}' is the base branch: it cannot be deleted`;
  if (ctx.role === 'admin') return null;
  if (ctx.role === 'none') return 'you may not push to this repository: ask an admin to name you a deployer of it';
  if (branch === null) return `deployers push branches only (refs/heads/...), not ${update.ref}`;
  if (branch === ctx.baseBranch) return `'${branch}' is the base branch: only admins may push to it`;
  const slug = moduleSlugOfBranch(branch, ctx.modulePrefix);
  if (slug !== null && ctx.moduleOwners.get(slug) !== ctx.userId) {
    return `'${branch}' is under '${ctx.modulePrefix}', where only a module's owner pushes its own branch, and no module '${slug}' of yours exists`;
  }
  return null;
}

/** Every refused update with its reason; empty when the whole push may go ahead. */
export function refusalsOf(updates: readonly RefUpdate[], ctx: PushContext): { ref: string; reason: string }[] {
  return updates.flatMap((u) => {
    const reason = refusalOf(u, ctx);
    return reason ? [{ ref: u.ref, reason }] : [];
  });
}
