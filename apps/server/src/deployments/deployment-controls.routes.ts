import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../auth/auth.service.ts';
import { requireUser } from '../auth/auth.hooks.ts';
import { ControlError, type DeploymentControls } from './deployment-controls.ts';

export interface DeploymentControlRoutesOptions {
  auth: AuthService;
  controls: DeploymentControls;
}

/** Cancel, Retry (deployments), Redeploy and Start (modules), docs/web.md "Controls". */
export const deploymentControlRoutes: FastifyPluginAsync<DeploymentControlRoutesOptions> = async (app, { auth, controls }) => {
  app.addHook('preHandler', requireUser(auth));
  app.setErrorHandler((err, _req, reply) => {
    if (!(err instanceof ControlError)) throw err;
    return reply.code(err.status).send({ error: err.code, message: err.message });
  });

  const idOf = (raw: string) => {
    if (!/^\d{1,15}$/.test(raw)) throw new ControlError(404, 'not_found', `no deployment ${raw} that you can see`);
    return Number(raw);
  };
  app.post<{ Params: { id: string } }>('/api/admin/deployments/:id/cancel', async (req) => controls.cancel(req.user!, idOf(req.params.id)));
  // A new deployment: 201 with it.
  app.post<{ Params: { id: string } }>('/api/admin/deployments/:id/retry', async (req, reply) => reply.code(201).send(await controls.retry(req.user!, idOf(req.params.id))));
  app.post<{ Params: { slug: string } }>('/api/admin/modules/:slug/redeploy', async (req, reply) => reply.code(201).send(await controls.redeploy(req.user!, req.params.slug)));
  // Start the module's stopped services again (the local runner's kept releases): 200 with its deployment and `live`.
  app.post<{ Params: { slug: string } }>('/api/admin/modules/:slug/services/start', async (req) => controls.startServices(req.user!, req.params.slug));
};
