import { z } from 'zod';

/**
 * Personal access tokens as `GET/POST /api/auth/tokens` show them. The token itself is answered once,
 * by the create call; afterwards only its name and dates are shown (the server keeps a hash).
 */
export const apiTokenSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    created_at: z.string(),
    /** Updated at most once a minute per token. */
    last_used_at: z.string().nullable().describe('Updated at most once a minute per token'),
    /** null: never expires. */
    expires_at: z.string().nullable().describe('null: never expires'),
  })
  .meta({ id: 'ApiToken' });
export type ApiToken = z.infer<typeof apiTokenSchema>;

export const createdApiTokenSchema = apiTokenSchema
  .extend({
    /** `slp_…`: shown once, never again. */
    token: z.string().describe('`slp_…`: shown once, never again'),
  })
  .meta({ id: 'CreatedApiToken' });
export type CreatedApiToken = z.infer<typeof createdApiTokenSchema>;

export const API_TOKEN_NAME_MAX = 200;
export const API_TOKEN_MAX_DAYS = 3650;

/** Body of `POST /api/auth/tokens`. */
export const createApiTokenSchema = z.object({
  name: z.string().trim().min(1, 'give the token a name').max(API_TOKEN_NAME_MAX),
  expiresInDays: z.number().int().min(1).max(API_TOKEN_MAX_DAYS).optional(),
});
export type CreateApiTokenRequest = z.infer<typeof createApiTokenSchema>;
