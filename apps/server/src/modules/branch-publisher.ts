import type { GeneratedFile } from '@slipway/contracts';
import type { ApplicationConfig } from '../config/config.ts';

export interface PublishRequest {
  branch: string;
  baseBranch: string;
  files: GeneratedFile[];
  message: string;
  author: { name: string; email: string };
}

export interface PublishResult {
  commit: string;
  /** The branch's head before, or null when this publish created it. */
  previous: string | null;
}

/** Commits files on a branch of an application's repository and pushes it (git/ implements it). */
export interface BranchPublisher {
  publish(app: ApplicationConfig, req: PublishRequest): Promise<PublishResult>;
}

/** Codes of git failures that retrying will not fix. */
export const PERMANENT_GIT_ERRORS = new Set(['auth_failed', 'repo_not_found', 'push_rejected', 'branch_protected', 'invalid_branch', 'unsafe_path']);
