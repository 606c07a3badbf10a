import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../auth/auth.service.ts';
import { requireUser } from '../auth/auth.hooks.ts';
import type { ApplicationRegistry } from './application-registry.ts';

/** `GET /api/admin/applications`: the deploy targets a module can choose. */
export const applicationRoutes: FastifyPluginAsync<{ auth: AuthService; registry: ApplicationRegistry }> = async (app, { auth, registry }) => {
  app.get('/api/admin/applications', { preHandler: requireUser(auth) }, async () => ({ data: registry.list().map((a) => registry.view(a)) }));
};
