import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { apiErrorSchema, createNotificationChannelSchema, createdNotificationChannelSchema, listResponseSchema, notificationChannelSchema } from '@slipway/contracts';
import type { AuthService } from '../auth/auth.service.ts';
import { requireUser } from '../auth/auth.hooks.ts';
import { sendValidationError } from '../http/errors.ts';
import { SIGNED_IN, SIGNED_IN_ERRORS, answer, describeOnly } from '../openapi/route-schemas.ts';
import { NotificationError, type NotificationsService } from './notifications.service.ts';

// Route schemas (the OpenAPI document); the handlers parse bodies themselves, with the same schemas.
const tags = ['notifications'];
const invalid = answer('invalid_input: `details` names each bad field; unknown_module', apiErrorSchema);

export interface NotificationRoutesOptions {
  auth: AuthService;
  notifications: NotificationsService;
}

/** `GET/POST/DELETE /api/admin/notification-channels` (docs/notifications.md). */
export const notificationRoutes: FastifyPluginAsync<NotificationRoutesOptions> = async (app, { auth, notifications }) => {
  describeOnly(app);
  app.addHook('preHandler', requireUser(auth));
  app.setErrorHandler((err, _req, reply) => {
    if (!(err instanceof NotificationError)) throw err;
    const details = (err as NotificationError & { details?: unknown }).details;
    return reply.code(err.status).send({ error: err.code, message: err.message, ...(details ? { details } : {}) });
  });

  app.get(
    '/api/admin/notification-channels',
    { schema: { tags, summary: 'Notification channels you manage (admins: all), each with its newest deliveries; never a secret', security: SIGNED_IN, response: { 200: answer('The channels', listResponseSchema(notificationChannelSchema)), ...SIGNED_IN_ERRORS } } },
    async (req) => ({ data: await notifications.list(req.user!) }),
  );

  app.post(
    '/api/admin/notification-channels',
    {
      schema: {
        tags,
        summary: 'Create a channel: admins global or per module, members for their own modules',
        security: SIGNED_IN,
        body: createNotificationChannelSchema,
        response: { 201: answer('The channel; a generated webhook secret in `secret`, this once', createdNotificationChannelSchema), ...SIGNED_IN_ERRORS, 422: invalid },
      },
    },
    async (req, reply) => {
      const body = createNotificationChannelSchema.safeParse(req.body);
      if (!body.success) return sendValidationError(reply, body.error);
      return reply.code(201).send(await notifications.create(req.user!, body.data));
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/admin/notification-channels/:id',
    {
      schema: {
        tags,
        summary: 'Delete a channel and its deliveries (admins any; members their own)',
        security: SIGNED_IN,
        params: z.object({ id: z.string().describe("The channel's id") }),
        response: { 204: z.undefined().describe('Deleted'), ...SIGNED_IN_ERRORS, 404: answer('No such channel', apiErrorSchema) },
      },
    },
    async (req, reply) => {
      if (!/^\d{1,15}$/.test(req.params.id)) throw new NotificationError(404, 'not_found', `no notification channel ${req.params.id}`);
      await notifications.remove(req.user!, Number(req.params.id));
      return reply.code(204).send();
    },
  );
};
