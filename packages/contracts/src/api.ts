import { z } from 'zod';
import { DEPLOYMENT_STATUSES } from './status.ts';

/**
 * The rest of the HTTP API's wire formats as zod schemas (module-api.ts has the modules' and
 * deployments'): errors, sign-in, the webhook's answers, channel auth, `/api/config`, health.
 * The server attaches them to its routes, which makes the OpenAPI document (`/api/openapi.json`);
 * the web app reads the same shapes as `z.infer` types. They describe what exists: docs/contracts.md
 * says which of these may never change.
 */

/** One validation problem, named by its path in the input: `fields.2.type` (the root: `(body)` or ''). */
export const fieldErrorSchema = z.object({ field: z.string(), message: z.string() });

/**
 * Every refusal: `{ error, message }`, with `details` naming each bad field on a 422
 * (`invalid_input`, or the webhook's `invalid_payload`).
 */
export const apiErrorSchema = z
  .object({
    error: z.string().describe('A stable code: not_found, invalid_input, unauthenticated…'),
    message: z.string().describe('For people'),
    details: z.array(fieldErrorSchema).optional().describe('On a 422: each bad field and why'),
  })
  .meta({ id: 'ApiError' });
export type ApiError = z.infer<typeof apiErrorSchema>;

/** A signed-in user (`GET /api/auth/me`). */
export const userSchema = z
  .object({ id: z.number().int(), email: z.string(), role: z.enum(['admin', 'member']) })
  .meta({ id: 'User' });
export type AuthUser = z.infer<typeof userSchema>;

/** Body of `POST /api/auth/login`. */
export const loginRequestSchema = z.object({ email: z.string().min(1).max(320), password: z.string().min(1).max(1000) });
export type LoginRequest = z.infer<typeof loginRequestSchema>;

/** `POST /api/auth/login`: the user; the session and CSRF cookies are set beside it. */
export const loginResponseSchema = z.object({ user: userSchema, csrf_token: z.string().describe('Also in the XSRF-TOKEN cookie; send it back as X-XSRF-TOKEN') });
export type LoginResponse = z.infer<typeof loginResponseSchema>;

/** `{ ok: true }` of a call that only does something. */
export const okSchema = z.object({ ok: z.literal(true) });

/**
 * What `POST /api/webhooks/dokploy/deployment` answers with 200 (docs/contracts.md, section 1):
 * accepted (the change is committed), duplicate (a repeated delivery: nothing changed), or
 * ignored (a report of an earlier attempt, or of a finished target).
 */
export const webhookAnswerSchema = z.discriminatedUnion('outcome', [
  z.object({
    ok: z.literal(true),
    outcome: z.literal('accepted'),
    deployment_id: z.string(),
    status: z.enum(DEPLOYMENT_STATUSES),
    progress: z.number().int().min(0).max(100),
    sequence: z.number().int().nonnegative(),
  }),
  z.object({ ok: z.literal(true), outcome: z.literal('duplicate'), message: z.string() }),
  z.object({ ok: z.literal(true), outcome: z.literal('ignored'), deployment_id: z.string(), message: z.string() }),
]);
export type WebhookAnswer = z.infer<typeof webhookAnswerSchema>;

/** Body of `POST /broadcasting/auth` (form-encoded, as Laravel Echo sends it, or JSON). */
export const channelAuthRequestSchema = z.object({
  socket_id: z.string().describe('The socket id pusher-js was given: `<digits>.<digits>`'),
  channel_name: z.string().describe('`private-App.Models.User.{id}`, `private-deployments` (admins), `presence-deployment.{id}`'),
});

/** `POST /broadcasting/auth` (docs/contracts.md, section 3): `channel_data` for a presence channel only. */
export const channelAuthResponseSchema = z.object({
  auth: z.string().describe('`<key>:<hex HMAC-SHA256(secret, "<socket_id>:<channel_name>[:<channel_data>]")>`'),
  channel_data: z.string().optional(),
});
export type ChannelAuthResponse = z.infer<typeof channelAuthResponseSchema>;

/** Body of `POST /broadcasting/user-auth`. */
export const userAuthRequestSchema = z.object({ socket_id: z.string() });

/** `POST /broadcasting/user-auth` (`pusher:signin`). */
export const userAuthResponseSchema = z.object({ auth: z.string(), user_data: z.string().describe('JSON: `{"id":"<user id>","user_info":{"email":…}}`') });

/** `GET /api/config` → `realtime`: what `new Echo({...})` and pusher-js need (docs/realtime.md). */
export const realtimeClientConfigSchema = z.object({
  broadcaster: z.literal('pusher'),
  driver: z.enum(['embedded', 'redis', 'external']),
  key: z.string(),
  cluster: z.string(),
  host: z.string(),
  port: z.number().int(),
  scheme: z.enum(['http', 'https']),
  /** The same fields under the names Echo/pusher-js take, so the browser can spread them in. */
  echo: z.object({
    broadcaster: z.literal('pusher'),
    key: z.string(),
    cluster: z.string(),
    wsHost: z.string(),
    wsPort: z.number().int(),
    wssPort: z.number().int(),
    forceTLS: z.boolean(),
    enabledTransports: z.array(z.enum(['ws', 'wss'])),
    authEndpoint: z.string(),
  }),
  authEndpoint: z.string(),
  userChannelPattern: z.string(),
  adminChannel: z.string().nullable(),
  event: z.string(),
});
export type RealtimeClientConfig = z.infer<typeof realtimeClientConfigSchema>;

export const clientConfigSchema = z.object({ realtime: realtimeClientConfigSchema });
export type ClientConfig = z.infer<typeof clientConfigSchema>;

/** `GET /healthz`: liveness. */
export const healthSchema = z.object({ status: z.literal('ok') });

/** One readiness check of `GET /readyz`. */
export const readinessCheckSchema = z.object({
  ok: z.boolean(),
  message: z.string().optional().describe("Why it failed, or what it found (git's version, the migrations applied)"),
  skipped: z.boolean().optional().describe('Not applicable here (Redis without REDIS_URL)'),
  ms: z.number(),
});
const readinessChecks = z.object({ database: readinessCheckSchema, migrations: readinessCheckSchema, redis: readinessCheckSchema, git: readinessCheckSchema });

/** `GET /readyz`: 200 ready, 503 naming the failed checks. */
export const readySchema = z.object({ status: z.literal('ok'), checks: readinessChecks });
export const notReadySchema = z.object({ status: z.literal('unavailable'), message: z.string(), checks: readinessChecks });
