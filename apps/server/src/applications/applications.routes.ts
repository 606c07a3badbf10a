import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../auth/auth.service.ts';
import { requireUser } from '../auth/auth.hooks.ts';
import type { ApplicationRegistry } from './application-registry.ts';
import { applicationViewSchema, listResponseSchema } from '@slipway/contracts';
import { SIGNED_IN, SIGNED_IN_ERRORS, describeOnly } from '../openapi/route-schemas.ts';

const schema = { tags: ['modules'], summary: 'The deploy targets a module can choose', security: SIGNED_IN, response: { 200: listResponseSchema(applicationViewSchema), ...SIGNED_IN_ERRORS } };

/** `GET /api/admin/applications`: the deploy targets a module can choose. */
export const applicationRoutes: FastifyPluginAsync<{ auth: AuthService; registry: ApplicationRegistry }> = async (app, { auth, registry }) => {
  describeOnly(app);
  app.get('/api/admin/applications', { preHandler: requireUser(auth), schema }, async () => ({ data: registry.list().map((a) => registry.view(a)) }));
};
