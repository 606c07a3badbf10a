import { z } from 'zod';
import { DEPLOYMENT_STATUSES } from './status.ts';

export const DEPLOYMENT_EVENT_NAME = 'deployment.status-updated';
export { RESYNC_EVENT_NAME } from './realtime-names.ts';
export const successMessage = (slug: string) => `Module '${slug}' deployed successfully! 🎉`;

export const deploymentTargetSchema = z.object({
  application_id: z.string(),
  status: z.enum(DEPLOYMENT_STATUSES),
  progress: z.number().int().min(0).max(100),
  external_id: z.string().nullable(),
  commit_sha: z.string().nullable(),
  url: z.string().nullable(),
  run_url: z.string().nullable(),
  message: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});
export type DeploymentTargetView = z.infer<typeof deploymentTargetSchema>;

/**
 * Payload of `deployment.status-updated` (docs/contracts.md, section 4: the spec's fields), extended with the
 * per-deployment `sequence` (clients drop anything older than what they show), CI's own message,
 * targets, commit, URL.
 */
export const deploymentStatusUpdatedSchema = z.object({
  deployment_id: z.string(),
  module_slug: z.string().nullable(),
  branch_name: z.string().nullable(),
  status: z.enum(DEPLOYMENT_STATUSES),
  message: z.string().nullable(),
  /**
   * The newest message reported about the deployment's applications, in the reporter's own words
   * (CI's `message`, or Slipway's Dokploy and health follow-up). `message` becomes the spec's
   * success line at the end; this keeps what CI said beside it. Null until a report carries one.
   * Slipway always sends it; optional because a sender of the spec's payload alone stays valid.
   */
  ci_message: z.string().nullable().optional(),
  progress: z.number().int().min(0).max(100),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  logs: z.array(z.string()),
  sequence: z.number().int().nonnegative(),
  targets: z.array(deploymentTargetSchema),
  commit_sha: z.string().nullable(),
  url: z.string().nullable(),
});
export type DeploymentStatusUpdated = z.infer<typeof deploymentStatusUpdatedSchema>;
