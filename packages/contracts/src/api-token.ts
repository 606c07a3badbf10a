import { z } from 'zod';

/**
 * Personal access tokens as `GET/POST /api/auth/tokens` show them. The token itself is answered once,
 * by the create call; afterwards only its name and dates are shown (the server keeps a hash).
 */
export interface ApiToken {
  id: number;
  name: string;
  created_at: string;
  /** Updated at most once a minute per token. */
  last_used_at: string | null;
  /** null: never expires. */
  expires_at: string | null;
}

export interface CreatedApiToken extends ApiToken {
  /** `slp_…`: shown once, never again. */
  token: string;
}

export const API_TOKEN_NAME_MAX = 200;
export const API_TOKEN_MAX_DAYS = 3650;

/** Body of `POST /api/auth/tokens`. */
export const createApiTokenSchema = z.object({
  name: z.string().trim().min(1, 'give the token a name').max(API_TOKEN_NAME_MAX),
  expiresInDays: z.number().int().min(1).max(API_TOKEN_MAX_DAYS).optional(),
});
export type CreateApiTokenRequest = z.infer<typeof createApiTokenSchema>;
