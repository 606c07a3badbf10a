import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../auth/auth.service.ts';
import { requireUser } from '../auth/auth.hooks.ts';
import { ControlError, type DeploymentControls } from './deployment-controls.ts';
import { z } from 'zod';
import { apiErrorSchema, cancelResponseSchema, deploymentDetailSchema } from '@slipway/contracts';
import { SIGNED_IN, SIGNED_IN_ERRORS, answer, describeOnly } from '../openapi/route-schemas.ts';

// Route schemas (the OpenAPI document); the controls refuse with ControlError, answered below.
const idParams = z.object({ id: z.string().describe("The deployment's id") });
const slugParams = z.object({ slug: z.string().describe("The module's slug") });
const control = (summary: string, params: z.ZodType, ok: 200 | 201, okText: string, conflict: string, answered: z.ZodType = deploymentDetailSchema) => ({
  tags: ['deployments'],
  summary,
  security: SIGNED_IN,
  params,
  response: {
    [ok]: answer(okText, answered),
    ...SIGNED_IN_ERRORS,
    404: answer('No such deployment or module that you can see', apiErrorSchema),
    409: answer(conflict, apiErrorSchema),
  },
});

export interface DeploymentControlRoutesOptions {
  auth: AuthService;
  controls: DeploymentControls;
}

/** Cancel, Retry (deployments), Redeploy, Rollback and Start (modules), docs/web.md "Controls". */
export const deploymentControlRoutes: FastifyPluginAsync<DeploymentControlRoutesOptions> = async (app, { auth, controls }) => {
  describeOnly(app);
  app.addHook('preHandler', requireUser(auth));
  app.setErrorHandler((err, _req, reply) => {
    if (!(err instanceof ControlError)) throw err;
    return reply.code(err.status).send({ error: err.code, message: err.message });
  });

  const idOf = (raw: string) => {
    if (!/^\d{1,15}$/.test(raw)) throw new ControlError(404, 'not_found', `no deployment ${raw} that you can see`);
    return Number(raw);
  };
  app.post<{ Params: { id: string } }>('/api/admin/deployments/:id/cancel', { schema: control('Cancel a running deployment', idParams, 200, 'Cancelled: the deployment as it ended, and what CI outside Slipway was asked (`ci_cancels`)', 'finished: it has ended already', cancelResponseSchema) }, async (req) => controls.cancel(req.user!, idOf(req.params.id)));
  // A new deployment: 201 with it.
  app.post<{ Params: { id: string } }>('/api/admin/deployments/:id/retry', { schema: control("Retry a finished deployment's failed applications: a new deployment", idParams, 201, 'The new deployment', 'running, nothing_failed or no_commit: nothing to retry') }, async (req, reply) => reply.code(201).send(await controls.retry(req.user!, idOf(req.params.id))));
  app.post<{ Params: { slug: string } }>('/api/admin/modules/:slug/redeploy', { schema: control("Deploy a module's current commits again: a new deployment", slugParams, 201, 'The new deployment', 'running or no_commit: nothing to redeploy now') }, async (req, reply) => reply.code(201).send(await controls.redeploy(req.user!, req.params.slug)));
  // Rollback (issue #16): a new deployment of what a successful past deployment ran; 201 with it.
  const rollbackSchema = control('Roll a module back to what a successful past deployment ran (its commits; never the branch head): a new deployment', slugParams, 201, 'The new deployment, with `rollback_of`', 'not_successful, running, no_commit, not_rollbackable or dokploy_unavailable');
  const rollbackBody = z.object({ deploymentId: z.union([z.string(), z.number()]).describe('The successful deployment of this module to roll back to') });
  app.post<{ Params: { slug: string }; Body: { deploymentId: string | number } }>(
    '/api/admin/modules/:slug/rollback',
    { schema: { ...rollbackSchema, body: rollbackBody, response: { ...rollbackSchema.response, 422: answer('other_module: that deployment belongs to another module; invalid_deployment_id', apiErrorSchema) } } },
    async (req, reply) => {
      const raw = String((req.body as { deploymentId?: unknown } | undefined)?.deploymentId ?? '');
      if (!/^\d{1,15}$/.test(raw)) throw new ControlError(422, 'invalid_deployment_id', 'deploymentId must be the id of a deployment of this module');
      return reply.code(201).send(await controls.rollback(req.user!, req.params.slug, Number(raw)));
    },
  );
  // Start the module's stopped services again (the local runner's kept releases): 200 with its deployment and `live`.
  app.post<{ Params: { slug: string } }>('/api/admin/modules/:slug/services/start', { schema: control("Start a module's stopped services again (the local runner's kept releases)", slugParams, 200, 'Started: the deployment, with `live`', 'not_deployed, not_startable, no_release or start_failed') }, async (req) => controls.startServices(req.user!, req.params.slug));
};
