import type { GeneratedFile } from '@slipway/contracts';
import type { ApplicationConfig } from '../config/config.ts';
import type { Db } from '../db/database.ts';

export interface PublishRequest {
  branch: string;
  baseBranch: string;
  files: GeneratedFile[];
  /** Files to remove from the branch (no longer generated). */
  deletes?: string[];
  message: string;
  author: { name: string; email: string };
  /** Push only if the branch is still at this head (null: only if it does not exist); absent: no lease. */
  expectedHead?: string | null;
}

/** Files of a branch's head: what an update merges with (docs/modules.md). */
export interface BranchFiles {
  /** The branch's head; null when the branch does not exist. */
  head: string | null;
  /** Each requested path that is a file on the branch. */
  files: Map<string, Buffer>;
}

export interface PublishResult {
  commit: string;
  /** The branch's head before, or null when this publish created it. */
  previous: string | null;
}

/** Commits files on a branch of an application's repository and pushes it (git/ implements it). */
export interface BranchPublisher {
  publish(app: ApplicationConfig, req: PublishRequest): Promise<PublishResult>;
  /** Deletes the branch (a no-op when it is gone already); resolves to the head it deleted, or null. */
  deleteBranch(app: ApplicationConfig, branch: string): Promise<string | null>;
  /**
   * Reads `paths` on the branch's head, then the paths `more` names from what was read (the
   * generation manifest lists them). Absent: updates cannot merge, and overwrite the branch's files.
   */
  readFiles?(app: ApplicationConfig, branch: string, paths: readonly string[], more?: (files: ReadonlyMap<string, Buffer>) => readonly string[]): Promise<BranchFiles>;
  /** The branch's head in the application's repository, or null when it does not exist. */
  headOf?(app: ApplicationConfig, branch: string): Promise<string | null>;
}

/** Stops what a module's branch runs (the local runner's services); a no-op for repositories Slipway does not run. */
export interface ServiceStopper {
  stopServices(app: ApplicationConfig, branch: string): Promise<void>;
}

/**
 * Queues CI for a commit a publish pushed, in `db` — the transaction that records the push on the
 * deployment (an outbox: the build is never lost, whenever the process dies). Does nothing when
 * Slipway runs no CI for that repository (the local runner builds only the repositories it hosts).
 */
export interface BuildTrigger {
  pushed(db: Db, app: ApplicationConfig, branch: string, commit: string): Promise<void>;
}

/** Codes of git failures that retrying will not fix. */
export const PERMANENT_GIT_ERRORS = new Set(['auth_failed', 'repo_not_found', 'push_rejected', 'branch_protected', 'invalid_branch', 'unsafe_path']);
