import { z } from 'zod';
import { deploymentStatusUpdatedSchema } from './deployment-event.ts';
import { DEPLOYMENT_STATUSES } from './status.ts';
import { applicationFilesSchema, FIELD_TYPES, type ModuleDefinition } from './module.ts';

/**
 * What the module, deployment and application routes answer, as zod schemas: the server attaches
 * them to its routes (they make the OpenAPI document at `/api/openapi.json`), and the web app's
 * types are `z.infer` of the same schemas, so a field renamed on one side fails the other's build.
 * Top-level bookkeeping is snake_case; the definition itself (`git.createBranch`…) is exactly the
 * parsed request (`ModuleDefinition`). The web app imports these as types only (no zod at run time).
 */

/** A configured deploy target: `GET /api/admin/applications` → `{ data: ApplicationView[] }`. */
export const applicationViewSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    /** The branch module branches grow from, and the only base a module targeting it may use. */
    base_branch: z.string().describe('The branch module branches grow from, and the only base a module targeting it may use'),
    template_pack: z.string(),
    /** Whether a git repository is configured (modules with git publishing need one). */
    git: z.boolean().describe('Whether a git repository is configured (modules with git publishing need one)'),
  })
  .meta({ id: 'ApplicationView' });
export type ApplicationView = z.infer<typeof applicationViewSchema>;

/** Whether a service Slipway runs (the local runner's `deploy.start`) answers now. */
export const LIVE_STATES = ['running', 'stopped', 'starting'] as const;
export type LiveState = (typeof LIVE_STATES)[number];

/**
 * `live` of a successful deployment whose applications Slipway runs as services: a health probe of
 * each, when the API answers. Null (or absent) when Slipway cannot say (not successful, or deployed
 * by CI elsewhere). `stopped`: offer Start (`POST /api/admin/modules/{slug}/services/start`), not the link.
 */
export const liveViewSchema = z
  .object({
    state: z.enum(LIVE_STATES).describe('stopped when any service does not answer, starting while one starts, else running'),
    url: z.string().nullable(),
    services: z.array(z.object({ application_id: z.string(), state: z.enum(LIVE_STATES), url: z.string().nullable() })),
  })
  .meta({ id: 'LiveView' });
export type LiveView = z.infer<typeof liveViewSchema>;

/** A deployment as the list endpoints return it: the event payload plus its dates and owner. */
export const deploymentViewSchema = deploymentStatusUpdatedSchema
  .extend({
    created_at: z.string(),
    updated_at: z.string(),
    owner_id: z.number().int().nullable(),
    live: liveViewSchema.nullable().optional().describe("Do the services Slipway runs for it answer now (detail, status and module endpoints; null: Slipway can't say)"),
    rollback_of: z.string().optional().describe('A rollback: the id of the successful deployment whose commits it redeploys (absent: not a rollback)'),
  })
  .meta({ id: 'DeploymentView' });
export type DeploymentView = z.infer<typeof deploymentViewSchema>;

/** One event of a deployment's history; `application_id` names the target it was about (null: the deployment's own). */
export const deploymentHistoryEventSchema = z.object({
  sequence: z.number().int(),
  application_id: z.string().nullable(),
  status: z.enum(DEPLOYMENT_STATUSES),
  message: z.string().nullable(),
  logs: z.array(z.string()),
  created_at: z.string(),
});
export type DeploymentHistoryEvent = z.infer<typeof deploymentHistoryEventSchema>;

/** `GET /api/admin/deployments/:id` and `/:slug/status`: the view plus its recent history. */
export const deploymentDetailSchema = deploymentViewSchema
  .extend({ all_logs: z.array(z.string()), events: z.array(deploymentHistoryEventSchema) })
  .meta({ id: 'DeploymentDetail' });
export type DeploymentDetail = z.infer<typeof deploymentDetailSchema>;

/** What a cancel asked of CI outside Slipway, for one application. */
export const ciCancelSchema = z.object({
  application_id: z.string(),
  ci: z.enum(['github', 'dokploy']),
  outcome: z.enum(['cancelled', 'completed', 'failed']).describe('cancelled: accepted; completed: the run had finished already; failed: the call failed'),
  message: z.string(),
});
export type CiCancel = z.infer<typeof ciCancelSchema>;

/** `POST /api/admin/deployments/:id/cancel`: the deployment as it ended, and what CI outside Slipway was asked. */
export const cancelResponseSchema = deploymentDetailSchema.extend({ ci_cancels: z.array(ciCancelSchema) });
export type CancelResponse = z.infer<typeof cancelResponseSchema>;

/** `GET /api/admin/deployments`: a page of deployments, newest first. */
export const deploymentPageSchema = z.object({
  data: z.array(deploymentViewSchema),
  meta: z.object({ page: z.number().int(), per_page: z.number().int(), total: z.number().int() }),
});
export type DeploymentPage = z.infer<typeof deploymentPageSchema>;

/** A parsed module definition as stored and answered (`moduleInputSchema`'s output, every default filled in). */
export const moduleDefinitionSchema = z.object({
  name: z.string(),
  slug: z.string(),
  description: z.string(),
  fields: z.array(
    z.object({
      name: z.string(),
      label: z.string().optional(),
      type: z.enum(FIELD_TYPES),
      required: z.boolean(),
      unique: z.boolean(),
      default: z.unknown().describe('Suits the type; null means none'),
      options: z.array(z.string()).optional(),
      relation: z.string().optional(),
    }),
  ),
  applications: z.array(z.string()),
  git: z.object({ enabled: z.boolean(), createBranch: z.boolean(), branchName: z.string(), baseBranch: z.string() }),
});
// Every parsed definition fits the answer's schema: a field added to the parser and not here fails the build.
type FitsAnswer<T extends z.output<typeof moduleDefinitionSchema>> = T;
export type StoredModuleDefinition = FitsAnswer<ModuleDefinition>;

/**
 * A module: `GET /api/admin/modules/:slug`, and each item of `GET /api/admin/modules` → `{ data }`.
 * `latest_deployment` is its newest deployment with history (as `/api/admin/deployments/:slug/status`).
 */
export const moduleViewSchema = moduleDefinitionSchema
  .extend({
    owner_id: z.number().int().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    latest_deployment: deploymentDetailSchema.nullable(),
  })
  .meta({ id: 'ModuleView' });
export type ModuleView = z.infer<typeof moduleViewSchema>;

/** One branch a publish pushed (or a delete removed). */
export const branchViewSchema = z.object({ application: z.string(), branch: z.string(), commit: z.string() });
export type BranchView = z.infer<typeof branchViewSchema>;

/** `POST /api/admin/modules` and `PUT /api/admin/modules/:slug` (the spec's GenerateModuleResponse). */
export const generateModuleResponseSchema = z
  .object({
    module: moduleViewSchema,
    /** The deployment started by pushing the branch; null when git publishing is off. */
    deployment: deploymentDetailSchema.nullable().describe('The deployment the push started (pending while the publish is queued); null when git publishing is off'),
    files: z.array(applicationFilesSchema),
    /** Empty while the publish is still queued (202). */
    branches: z.array(branchViewSchema).describe('Empty while the publish is still queued (202)'),
  })
  .meta({ id: 'GenerateModuleResponse' });
export type GenerateModuleResponse = z.infer<typeof generateModuleResponseSchema>;

/** `POST /api/admin/modules/preview`. */
export const modulePreviewResponseSchema = z.object({ files: z.array(applicationFilesSchema) });
export type ModulePreviewResponse = z.infer<typeof modulePreviewResponseSchema>;

/** `DELETE /api/admin/modules/:slug?deleteBranches=true`: the branches it deleted. */
export const moduleDeleteResponseSchema = z.object({ deletedBranches: z.array(branchViewSchema) });
export type ModuleDeleteResponse = z.infer<typeof moduleDeleteResponseSchema>;

/** The list endpoints' envelope. */
export const listResponseSchema = <T extends z.ZodType>(item: T) => z.object({ data: z.array(item) });
export interface ListResponse<T> {
  data: T[];
}
