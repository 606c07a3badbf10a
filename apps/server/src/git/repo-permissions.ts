import type { User } from '../auth/auth.service.ts';
import type { RefUpdate } from './push-events.ts';
import { moduleSlugsOf, refusalsOf, repoRole, type RepoRole, type RepoRules } from './push-policy.ts';

export interface RepoPermissionsDeps {
  /** The configured application of a hosted repository; undefined for a repository nobody configured. */
  rules(app: string): RepoRules | undefined;
  /** `SLIPWAY_MODULE_BRANCH_PREFIX`. */
  modulePrefix: string;
  /** Owner of a module by slug (the modules service), null when none. */
  moduleOwner(slug: string): Promise<number | null>;
}

/** The push policy (push-policy.ts) fed with the configuration and the modules' owners. */
export class RepoPermissions {
  constructor(private readonly d: RepoPermissionsDeps) {}

  roleOf(user: User, app: string): RepoRole {
    return repoRole(user, this.d.rules(app));
  }

  /** The refused updates of a push, with reasons; empty when it may go ahead. */
  async refusals(user: User, app: string, updates: readonly RefUpdate[]): Promise<{ ref: string; reason: string }[]> {
    const rules = this.d.rules(app);
    // A repository outside the configuration has no deployers; `main` is protected as the usual base.
    const baseBranch = rules?.baseBranch ?? 'main';
    const role = repoRole(user, rules);
    const slugs = role === 'deployer' ? moduleSlugsOf(updates, this.d.modulePrefix) : [];
    const moduleOwners = new Map(await Promise.all(slugs.map(async (s) => [s, await this.d.moduleOwner(s)] as const)));
    return refusalsOf(updates, { role, userId: user.id, baseBranch, modulePrefix: this.d.modulePrefix, moduleOwners });
  }
}
