import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { apiErrorSchema, DEPLOYMENT_STATUSES, deploymentDetailSchema, deploymentPageSchema, deploymentViewSchema, listResponseSchema } from '@slipway/contracts';
import type { AuthService } from '../auth/auth.service.ts';
import { requireUser } from '../auth/auth.hooks.ts';
import type { Db } from '../db/database.ts';
import { sendValidationError } from '../http/errors.ts';
import type { DeploymentsService } from './deployments.service.ts';
import type { LiveServices } from './live-services.ts';
import { SIGNED_IN, SIGNED_IN_ERRORS, answer, describeOnly } from '../openapi/route-schemas.ts';

const listQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(20),
  status: z.enum(DEPLOYMENT_STATUSES).optional(),
  module: z.string().max(100).optional(),
});

// Route schemas (the OpenAPI document); the list handler parses its query itself, with listQuery.
const tags = ['deployments'];
const notFound = answer('No such deployment that you can see', apiErrorSchema);
const detail = { security: SIGNED_IN, response: { 200: deploymentDetailSchema, ...SIGNED_IN_ERRORS, 404: notFound } };

export interface DeploymentRoutesOptions {
  db: Db;
  auth: AuthService;
  deployments: DeploymentsService;
  /** Adds `live` (do the services Slipway runs for it answer?) to a deployment's detail. */
  live?: LiveServices;
}

/** The admin API (docs/contracts.md, section 2): members see their own deployments, admins all. */
export const deploymentRoutes: FastifyPluginAsync<DeploymentRoutesOptions> = async (app, { db, auth, deployments, live }) => {
  describeOnly(app);
  app.addHook('preHandler', requireUser(auth));

  const activeSchema = { tags, summary: 'Deployments that have not finished (docs/contracts.md, section 2)', security: SIGNED_IN, response: { 200: listResponseSchema(deploymentViewSchema), ...SIGNED_IN_ERRORS } };
  app.get('/api/admin/deployments/active', { schema: activeSchema }, async (req) => ({ data: await deployments.active(db, req.user!) }));

  const listSchema = {
    tags,
    summary: 'Deployments, newest first, a page at a time',
    security: SIGNED_IN,
    querystring: listQuery,
    response: { 200: deploymentPageSchema, ...SIGNED_IN_ERRORS, 422: answer('invalid_input: `details` names each bad parameter', apiErrorSchema) },
  };
  app.get('/api/admin/deployments', { schema: listSchema }, async (req, reply) => {
    const q = listQuery.safeParse(req.query);
    if (!q.success) return sendValidationError(reply, q.error);
    return deployments.list(db, req.user!, { page: q.data.page, perPage: q.data.per_page, status: q.data.status, moduleSlug: q.data.module });
  });

  const byId = { tags, summary: 'A deployment, with its history', params: z.object({ id: z.string().describe("The deployment's id") }), ...detail };
  app.get<{ Params: { id: string } }>('/api/admin/deployments/:id', { schema: byId }, async (req, reply) => {
    const id = /^\d{1,15}$/.test(req.params.id) ? Number(req.params.id) : NaN;
    const d = Number.isFinite(id) ? await deployments.detail(db, req.user!, id) : undefined;
    if (!d) return reply.code(404).send({ error: 'not_found', message: `no deployment ${req.params.id} that you can see` });
    return live ? live.annotate(d) : d;
  });

  const bySlug = { tags, summary: "A module's latest deployment, with its history (docs/contracts.md, section 2)", params: z.object({ slug: z.string().describe("The module's slug") }), ...detail };
  app.get<{ Params: { slug: string } }>('/api/admin/deployments/:slug/status', { schema: bySlug }, async (req, reply) => {
    const d = await deployments.statusBySlug(db, req.user!, req.params.slug);
    if (!d) return reply.code(404).send({ error: 'not_found', message: `no deployment of module '${req.params.slug}' that you can see` });
    return live ? live.annotate(d) : d;
  });
};
