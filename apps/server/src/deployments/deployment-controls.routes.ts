import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../auth/auth.service.ts';
import { requireUser } from '../auth/auth.hooks.ts';
import { ControlError, type DeploymentControls } from './deployment-controls.ts';

export interface DeploymentControlRoutesOptions {
  auth: AuthService;
  controls: DeploymentControls;
}

/** POST /api/admin/deployments/{id}/cancel (docs/web.md). */
export const deploymentControlRoutes: FastifyPluginAsync<DeploymentControlRoutesOptions> = async (app, { auth, controls }) => {
  app.addHook('preHandler', requireUser(auth));
  app.setErrorHandler((err, _req, reply) => {
    if (!(err instanceof ControlError)) throw err;
    return reply.code(err.status).send({ error: err.code, message: err.message });
  });

  app.post<{ Params: { id: string } }>('/api/admin/deployments/:id/cancel', async (req, reply) => {
    const id = /^\d{1,15}$/.test(req.params.id) ? Number(req.params.id) : NaN;
    if (!Number.isFinite(id)) return reply.code(404).send({ error: 'not_found', message: `no deployment ${req.params.id} that you can see` });
    return controls.cancel(req.user!, id);
  });
};
