import type { DeploymentStatusUpdated } from './deployment-event.ts';
import type { ApplicationFiles, ModuleDefinition } from './module.ts';

/**
 * What the module and application routes answer, as one definition for the server that builds the
 * answers and the web app that reads them: a field renamed on one side fails the other's build.
 * Top-level bookkeeping is snake_case; the definition itself (`git.createBranch`…) is exactly the
 * parsed request (`ModuleDefinition`).
 */

/** A configured deploy target: `GET /api/admin/applications` → `{ data: ApplicationView[] }`. */
export interface ApplicationView {
  id: string;
  name: string;
  /** The branch module branches grow from, and the only base a module targeting it may use. */
  base_branch: string;
  template_pack: string;
  /** Whether a git repository is configured (modules with git publishing need one). */
  git: boolean;
}

/** A deployment as the list and module endpoints return it. */
export type DeploymentView = DeploymentStatusUpdated & { created_at: string; updated_at: string; owner_id: number | null };

/** A module: `GET /api/admin/modules/:slug`, and each item of `GET /api/admin/modules` → `{ data }`. */
export type ModuleView = ModuleDefinition & {
  owner_id: number | null;
  created_at: string;
  updated_at: string;
  latest_deployment: DeploymentView | null;
};

/** One branch a publish pushed. */
export interface BranchView {
  application: string;
  branch: string;
  commit: string;
}

/** `POST /api/admin/modules` and `PUT /api/admin/modules/:slug` (the spec's GenerateModuleResponse). */
export interface GenerateModuleResponse {
  module: ModuleView;
  /** The deployment started by pushing the branch; null when git publishing is off or still pending (202). */
  deployment: DeploymentView | null;
  files: ApplicationFiles[];
  /** Empty while the publish is still queued (202). */
  branches: BranchView[];
}

/** `POST /api/admin/modules/preview`. */
export interface ModulePreviewResponse {
  files: ApplicationFiles[];
}

/** The list endpoints' envelope. */
export interface ListResponse<T> {
  data: T[];
}
