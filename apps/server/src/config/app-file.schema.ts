import { z } from 'zod';

/**
 * The optional applications file (`SLIPWAY_CONFIG`, JSON or YAML): the deploy targets Slipway
 * knows. Unknown keys are refused so a typo is caught at start, not at the first deployment.
 */
export const applicationSchema = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be lower-case letters, digits and dashes'),
    name: z.string().min(1).optional(),
    repoUrl: z.string().min(1).optional(),
    credentials: z
      .object({ tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(), sshKeyPath: z.string().optional() })
      .strict()
      .optional(),
    baseBranch: z.string().min(1).default('main'),
    /**
     * Who besides admins may clone and push this application's hosted repository (`/git/<id>.git`):
     * user emails. Never onto the base branch, nor onto another user's module branch (git/push-policy.ts).
     */
    deployers: z
      .array(z.email('must be a user email').transform((e) => e.toLowerCase()))
      .refine((d) => new Set(d).size === d.length, { message: 'deployers must be unique' })
      .optional(),
    templatePack: z.string().min(1).optional(),
    publicUrl: z.string().optional(),
    healthPath: z.string().optional(),
    dokploy: z
      .object({
        webhookUrl: z.url().optional(),
        moduleWebhookUrl: z.url().optional(),
        apiUrl: z.url().optional(),
        apiKeyEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
        applicationId: z.string().optional(),
        /**
         * A preview per module (docs/previews.md): a Dokploy application, created through the API in
         * `environmentId`, running `<image>:module-<slug>` on `previewDomain` (`{slug}` replaced).
         */
        previews: z.boolean().optional(),
        previewDomain: z.string().regex(/\{slug\}/, 'must contain {slug}').optional(),
        environmentId: z.string().min(1).optional(),
        image: z.string().regex(/^[a-z0-9][a-z0-9._\/:-]*$/, 'must be an image name (Slipway adds the tag module-<slug>)').optional(),
        previewPort: z.number().int().min(1).max(65535).optional(),
        previewHttps: z.boolean().optional(),
      })
      .strict()
      .superRefine((d, ctx) => {
        if (!d.previews) return;
        for (const k of ['apiUrl', 'apiKeyEnv', 'environmentId', 'image', 'previewDomain'] as const) {
          if (!d[k]) ctx.addIssue({ code: 'custom', path: [k], message: `dokploy.previews needs dokploy.${k}` });
        }
      })
      .optional(),
    /** The GitHub repository whose Actions runs deploy this application (`owner/name`), for the watchdog. */
    github: z
      .object({ repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be owner/name') })
      .strict()
      .optional(),
  })
  .strict();

export const appFileSchema = z
  .object({ applications: z.array(applicationSchema).default([]) })
  .strict()
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.applications.forEach((a, i) => {
      if (seen.has(a.id)) ctx.addIssue({ code: 'custom', path: ['applications', i, 'id'], message: `duplicate id '${a.id}'` });
      seen.add(a.id);
    });
  });

export type ApplicationConfig = z.infer<typeof applicationSchema>;
