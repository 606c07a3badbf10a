import type { FastifyPluginAsync } from 'fastify';
import type { AuthService } from '../auth/auth.service.ts';
import { requireUser } from '../auth/auth.hooks.ts';
import { ModuleError } from './module-errors.ts';
import type { ModulesService } from './modules.service.ts';

export interface ModuleRoutesOptions {
  auth: AuthService;
  modules: ModulesService;
}

/** Module manager API: CRUD, preview (dry run), and create/update that publish and deploy. */
export const moduleRoutes: FastifyPluginAsync<ModuleRoutesOptions> = async (app, { auth, modules }) => {
  app.addHook('preHandler', requireUser(auth));
  app.setErrorHandler((err, _req, reply) => {
    if (!(err instanceof ModuleError)) throw err; // the app's handler answers the rest
    return reply.code(err.status).send(err.details ? { error: err.code, message: err.message, details: err.details } : { error: err.code, message: err.message });
  });

  app.get('/api/admin/modules', async (req) => ({ data: await modules.list(req.user!) }));

  app.post('/api/admin/modules/preview', async (req) => ({ files: await modules.preview(req.body) }));

  app.post('/api/admin/modules', async (req, reply) => {
    const r = await modules.create(req.user!, req.body);
    // 202: saved and queued, but publishing outlasted the wait; the deployment follows over realtime.
    const pending = r.module.git.enabled && r.branches.length === 0;
    return reply.code(pending ? 202 : 201).send(r);
  });

  app.get<{ Params: { slug: string } }>('/api/admin/modules/:slug', async (req) => modules.get(req.user!, req.params.slug));

  app.put<{ Params: { slug: string } }>('/api/admin/modules/:slug', async (req) => modules.update(req.user!, req.params.slug, req.body));

  // ?deleteBranches=true also deletes the module's branch in each target repository (docs/web.md).
  app.delete<{ Params: { slug: string }; Querystring: { deleteBranches?: string } }>('/api/admin/modules/:slug', async (req, reply) => {
    const flag = req.query.deleteBranches;
    if (flag !== undefined && flag !== 'true' && flag !== 'false') {
      return reply.code(400).send({ error: 'bad_request', message: "deleteBranches must be 'true' or 'false'" });
    }
    const r = await modules.remove(req.user!, req.params.slug, { deleteBranches: flag === 'true' });
    return flag === 'true' ? reply.code(200).send(r) : reply.code(204).send();
  });
};
