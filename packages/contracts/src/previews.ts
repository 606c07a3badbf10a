import { z } from 'zod';

/** Preview environments and Promote (docs/previews.md). */

export const PREVIEW_STATES = ['active', 'failed', 'torn_down'] as const;
export type PreviewState = (typeof PREVIEW_STATES)[number];

/** One module's preview on one application, as `GET /api/admin/previews` answers it. */
export const previewViewSchema = z
  .object({
    module_slug: z.string(),
    application_id: z.string(),
    branch: z.string(),
    kind: z.enum(['local', 'dokploy']).describe("local: the local runner's service under /preview/<slug>/<app>/; dokploy: a Dokploy application on its own domain"),
    state: z.enum(PREVIEW_STATES),
    url: z.string().nullable().describe('Where it answers (a path under Slipway for local ones)'),
    deployment_id: z.number().int().nullable().describe('The deployment that last created or renewed it'),
    commit_sha: z.string().nullable(),
    message: z.string().nullable().describe('Why it was torn down, or why it failed'),
    created_at: z.string(),
    deployed_at: z.string().describe('Its last deploy: the TTL counts from it'),
    torn_down_at: z.string().nullable(),
    expires_at: z.string().nullable().describe('When an active preview expires without another deploy'),
    owner_id: z.number().int().nullable(),
  })
  .meta({ id: 'PreviewView' });
export type PreviewView = z.infer<typeof previewViewSchema>;

export const previewTeardownResponseSchema = z.object({ torn_down: z.number().int().describe('Previews torn down') });

/** `POST /api/admin/modules/{slug}/promote`: `confirm` is needed to merge a hosted repository's branch. */
export const promoteInputSchema = z.object({ confirm: z.boolean().optional() }).strict();

export const promoteResultSchema = z
  .object({
    application_id: z.string(),
    kind: z.enum(['pull_request', 'merged', 'confirm']).describe('pull_request: opened (or already open) on GitHub; merged: a hosted repository merged the branch; confirm: would merge, send confirm: true'),
    url: z.string().nullable().describe('The pull request'),
    number: z.number().int().nullable(),
    existing: z.boolean().describe('The pull request was open already'),
    commit: z.string().nullable().describe('The base branch head after the merge'),
    fast_forward: z.boolean().nullable(),
  })
  .meta({ id: 'PromoteResult' });
export type PromoteResult = z.infer<typeof promoteResultSchema>;

export const promoteResponseSchema = z.object({ results: z.array(promoteResultSchema) });
export type PromoteResponse = z.infer<typeof promoteResponseSchema>;
