import { z } from 'zod';

/**
 * Notification channels (issue #16, item 3; docs/notifications.md): where Slipway sends deployment
 * news. `GET/POST/DELETE /api/admin/notification-channels`. Secrets (a webhook's signing secret,
 * a Slack or Discord URL, an SMTP password) are never answered in full: a hint only.
 */
export const NOTIFICATION_KINDS = ['webhook', 'slack', 'discord', 'email'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** A deployment ended: succeeded, failed, failed by the watchdog (stuck), or a rollback succeeded. */
export const NOTIFICATION_EVENTS = ['deployment.succeeded', 'deployment.failed', 'deployment.stuck', 'deployment.rolled_back'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

export const DELIVERY_STATUSES = ['queued', 'retrying', 'delivered', 'failed'] as const;

const url = z.string().max(2000);

/** `POST /api/admin/notification-channels`. */
export const createNotificationChannelSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    kind: z.enum(NOTIFICATION_KINDS),
    events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1).describe('What the channel wants'),
    module: z.string().max(100).nullable().optional().describe("Only this module's deployments; absent or null: every module (admins only)"),
    /** webhook, slack, discord: where to POST (http or https; Slack and Discord: https). */
    url: url.optional(),
    /** webhook: `whsec_<base64>` (Standard Webhooks); absent: one is generated and answered once. */
    secret: z.string().min(16).max(200).optional(),
    /** email: SMTP. */
    smtp: z
      .object({
        host: z.string().min(1).max(255),
        port: z.number().int().min(1).max(65535).default(587),
        secure: z.boolean().default(false).describe('TLS from the start (port 465); otherwise STARTTLS when the server offers it'),
        username: z.string().max(255).optional(),
        password: z.string().max(500).optional(),
        from: z.string().min(3).max(320),
        to: z.array(z.string().min(3).max(320)).min(1).max(20),
      })
      .optional(),
  })
  .meta({ id: 'CreateNotificationChannel' });
export type CreateNotificationChannel = z.input<typeof createNotificationChannelSchema>;

export const notificationDeliverySchema = z
  .object({
    id: z.number().int(),
    event: z.enum(NOTIFICATION_EVENTS),
    deployment_id: z.string(),
    status: z.enum(DELIVERY_STATUSES).describe('queued, retrying (an attempt failed; another follows, with backoff), delivered, failed (every attempt failed)'),
    attempts: z.number().int(),
    response_status: z.number().int().nullable().describe("The receiver's HTTP status (email: the SMTP reply code), when it answered"),
    last_error: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .meta({ id: 'NotificationDelivery' });
export type NotificationDelivery = z.infer<typeof notificationDeliverySchema>;

export const notificationChannelSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    kind: z.enum(NOTIFICATION_KINDS),
    events: z.array(z.enum(NOTIFICATION_EVENTS)),
    module: z.string().nullable().describe('null: every module (a global channel)'),
    owner_id: z.number().int().nullable(),
    target: z.string().describe('Where it sends, without secrets: `https://hooks.slack.com/…`, `smtp.example.com:587 → ops@example.com`'),
    secret_hint: z.string().nullable().describe('The last 4 characters of the signing secret (webhook), else null'),
    created_at: z.string(),
    recent_deliveries: z.array(notificationDeliverySchema).describe('The newest 10'),
  })
  .meta({ id: 'NotificationChannel' });
export type NotificationChannel = z.infer<typeof notificationChannelSchema>;

/** The 201 of a create: the channel, and the generated webhook secret, this once. */
export const createdNotificationChannelSchema = notificationChannelSchema
  .extend({ secret: z.string().optional().describe('The generated `whsec_` signing secret (webhook without one given): shown this once') })
  .meta({ id: 'CreatedNotificationChannel' });
export type CreatedNotificationChannel = z.infer<typeof createdNotificationChannelSchema>;
