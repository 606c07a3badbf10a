import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { DEPLOYMENT_STATUSES } from '@slipway/contracts';
import type { AuthService } from '../auth/auth.service.ts';
import { requireUser } from '../auth/auth.hooks.ts';
import type { Db } from '../db/database.ts';
import { sendValidationError } from '../http/errors.ts';
import type { DeploymentsService } from './deployments.service.ts';

const listQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(20),
  status: z.enum(DEPLOYMENT_STATUSES).optional(),
  module: z.string().max(100).optional(),
});

export interface DeploymentRoutesOptions {
  db: Db;
  auth: AuthService;
  deployments: DeploymentsService;
}

/** The admin API (docs/contracts.md, section 2): members see their own deployments, admins all. */
export const deploymentRoutes: FastifyPluginAsync<DeploymentRoutesOptions> = async (app, { db, auth, deployments }) => {
  app.addHook('preHandler', requireUser(auth));

  app.get('/api/admin/deployments/active', async (req) => ({ data: await deployments.active(db, req.user!) }));

  app.get('/api/admin/deployments', async (req, reply) => {
    const q = listQuery.safeParse(req.query);
    if (!q.success) return sendValidationError(reply, q.error);
    return deployments.list(db, req.user!, { page: q.data.page, perPage: q.data.per_page, status: q.data.status, moduleSlug: q.data.module });
  });

  app.get<{ Params: { id: string } }>('/api/admin/deployments/:id', async (req, reply) => {
    const id = /^\d{1,15}$/.test(req.params.id) ? Number(req.params.id) : NaN;
    const d = Number.isFinite(id) ? await deployments.detail(db, req.user!, id) : undefined;
    if (!d) return reply.code(404).send({ error: 'not_found', message: `no deployment ${req.params.id} that you can see` });
    return d;
  });

  app.get<{ Params: { slug: string } }>('/api/admin/deployments/:slug/status', async (req, reply) => {
    const d = await deployments.statusBySlug(db, req.user!, req.params.slug);
    if (!d) return reply.code(404).send({ error: 'not_found', message: `no deployment of module '${req.params.slug}' that you can see` });
    return d;
  });
};
