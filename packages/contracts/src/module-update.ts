import { z } from 'zod';
import { apiErrorSchema } from './api.ts';
import { branchViewSchema } from './module-api.ts';
import { moduleInputSchema } from './module.ts';

/**
 * Updating a module whose branch people may have edited (docs/modules.md): each generated file is
 * merged three ways (the previous render, the branch's file, the new render), and the update says
 * per file what it will do. Extensions of the module API (docs/contracts.md): optional request
 * fields and new routes only.
 */

/** What an update does with a file where the branch's edits and the new render overlap. */
export const CONFLICT_RESOLUTIONS = ['cancel', 'theirs', 'ours', 'markers'] as const;
export type ConflictResolution = (typeof CONFLICT_RESOLUTIONS)[number];
export const conflictResolutionSchema = z
  .enum(CONFLICT_RESOLUTIONS)
  .describe(
    "What to do with conflicting files: cancel (default: answer 409, push nothing), theirs (each conflicting part takes the new render's lines), ours (each conflicting part keeps the branch's lines), markers (commit the file with conflict markers on the module branch)",
  );

/**
 * `PUT /api/admin/modules/{slug}` body: the module, plus `onConflict` (extension, optional). A
 * create takes it too (a module re-created on a branch that was kept).
 */
export const moduleUpdateInputSchema = z.intersection(moduleInputSchema, z.object({ onConflict: conflictResolutionSchema.optional() }));

/** What an update does to one file of a module branch. */
export const FILE_CHANGE_STATUSES = ['created', 'changed', 'unchanged', 'deleted', 'conflict'] as const;
export type FileChangeStatus = (typeof FILE_CHANGE_STATUSES)[number];

/**
 * Why a file is in conflict: `content`, the branch's edits and the update change the same lines;
 * `edited_removed`, the module no longer generates a file that was edited on the branch;
 * `removed_changed`, a file deleted on the branch that the update changes; `untracked`, the branch
 * has a file Slipway never generated at a path the update now generates.
 */
export const CONFLICT_KINDS = ['content', 'edited_removed', 'removed_changed', 'untracked'] as const;
export type ConflictKind = (typeof CONFLICT_KINDS)[number];

export const fileChangeSchema = z
  .object({
    path: z.string(),
    status: z.enum(FILE_CHANGE_STATUSES),
    /** The branch's file differs from what Slipway last generated there (someone edited it). */
    edited: z.boolean().describe('The branch holds a version of this file Slipway did not generate (edited by hand)'),
    conflict: z.enum(CONFLICT_KINDS).nullable().describe('Why the file conflicts; null unless status is conflict'),
    /**
     * Unified diff from the branch's file to what the update commits (`a/<path>` → `b/<path>`, as
     * `git diff`); for a content conflict, to the file with conflict markers. Empty when unchanged.
     */
    diff: z.string().describe("Unified diff from the branch's file to what the update commits (for a conflict: to the file with markers); empty when unchanged"),
    /** The diff was cut at the size limit (64 KiB per file). */
    truncated: z.boolean(),
  })
  .meta({ id: 'FileChange' });
export type FileChange = z.infer<typeof fileChangeSchema>;

/** One application's part of an update preview. */
export const applicationUpdatePreviewSchema = z
  .object({
    application: z.string(),
    pack: z.string(),
    pack_version: z.string().describe('The version of the pack that renders the update'),
    /** The version recorded in the branch's manifest; null when the branch has no manifest (nothing to merge with). */
    base_pack_version: z.string().nullable().describe("The pack version the branch's manifest records; null: no manifest on the branch"),
    branch: z.string(),
    /** The branch's head the preview read; null when the branch does not exist yet. */
    head: z.string().nullable(),
    /** Where the generation manifest is written (`.slipway/modules/<slug>.json`); not listed in `files`. */
    manifest_path: z.string(),
    /** Things the person should know: the pack changed since the previous render, no manifest on the branch… */
    notes: z.array(z.string()),
    files: z.array(fileChangeSchema),
  })
  .meta({ id: 'ApplicationUpdatePreview' });
export type ApplicationUpdatePreview = z.infer<typeof applicationUpdatePreviewSchema>;

/** `POST /api/admin/modules/{slug}/preview`: what an update with this body would do, per application. */
export const moduleUpdatePreviewSchema = z
  .object({
    applications: z.array(applicationUpdatePreviewSchema),
    /** How many files conflict, over all applications (0: the update can go ahead without `onConflict`). */
    conflicts: z.number().int(),
  })
  .meta({ id: 'ModuleUpdatePreview' });
export type ModuleUpdatePreview = z.infer<typeof moduleUpdatePreviewSchema>;

/** One conflicting file, as the 409 of an update lists it. */
export const fileConflictSchema = z.object({ application: z.string(), path: z.string(), kind: z.enum(CONFLICT_KINDS) });
export type FileConflict = z.infer<typeof fileConflictSchema>;

/** The 409 of an update with conflicts and no (or `cancel`) `onConflict`: nothing was stored or pushed. */
export const moduleConflictErrorSchema = apiErrorSchema
  .extend({ conflicts: z.array(fileConflictSchema).describe('Each conflicting file; send onConflict to resolve them') })
  .meta({ id: 'ModuleConflictError' });
export type ModuleConflictError = z.infer<typeof moduleConflictErrorSchema>;

/**
 * `GET /api/admin/modules/{slug}/branches`: the branches a delete with `deleteBranches=true` would
 * delete (each target repository's `<prefix><slug>` that exists now, with its head).
 */
export const moduleBranchesResponseSchema = z.object({ branches: z.array(branchViewSchema) }).meta({ id: 'ModuleBranches' });
export type ModuleBranchesResponse = z.infer<typeof moduleBranchesResponseSchema>;
