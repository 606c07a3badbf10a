import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import {
  apiErrorSchema,
  generateModuleResponseSchema,
  listResponseSchema,
  moduleBranchesResponseSchema,
  moduleConflictErrorSchema,
  moduleDeleteResponseSchema,
  moduleInputSchema,
  moduleUpdateInputSchema,
  moduleUpdatePreviewSchema,
  modulePreviewResponseSchema,
  moduleViewSchema,
} from '@slipway/contracts';
import type { AuthService } from '../auth/auth.service.ts';
import { requireUser } from '../auth/auth.hooks.ts';
import { ModuleError } from './module-errors.ts';
import type { ModulesService } from './modules.service.ts';
import type { LiveServices } from '../deployments/live-services.ts';
import { SIGNED_IN, SIGNED_IN_ERRORS, answer, describeOnly } from '../openapi/route-schemas.ts';

// Route schemas (the OpenAPI document): the service parses bodies itself, with moduleInputSchema.
const tags = ['modules'];
const slugParams = z.object({ slug: z.string().describe("The module's slug") });
const invalid = answer('invalid_input: `details` names each bad field', apiErrorSchema);
const notFound = answer('No such module that you can see', apiErrorSchema);
const generateErrors = {
  ...SIGNED_IN_ERRORS,
  409: answer('The slug or branch is taken, or the base branch is refused', apiErrorSchema),
  422: invalid,
  502: answer('Saved, but publishing failed (waiting for the publish only)', apiErrorSchema),
};

export interface ModuleRoutesOptions {
  auth: AuthService;
  modules: ModulesService;
  /** Adds `live` to each module's latest deployment (do its services answer?). */
  live?: LiveServices;
}

/** Module manager API: CRUD, preview (dry run), and create/update that publish and deploy. */
export const moduleRoutes: FastifyPluginAsync<ModuleRoutesOptions> = async (app, { auth, modules, live }) => {
  describeOnly(app);
  app.addHook('preHandler', requireUser(auth));
  const withLive = async <M extends { latest_deployment: Parameters<LiveServices['annotate']>[0] | null }>(m: M): Promise<M> =>
    live && m.latest_deployment ? { ...m, latest_deployment: await live.annotate(m.latest_deployment) } : m;
  app.setErrorHandler((err, _req, reply) => {
    if (!(err instanceof ModuleError)) throw err; // the app's handler answers the rest
    return reply
      .code(err.status)
      .send({ error: err.code, message: err.message, ...(err.details ? { details: err.details } : {}), ...(err.conflicts ? { conflicts: err.conflicts } : {}) });
  });

  app.get('/api/admin/modules', { schema: { tags, summary: 'Modules you can see', security: SIGNED_IN, response: { 200: listResponseSchema(moduleViewSchema), ...SIGNED_IN_ERRORS } } }, async (req) => ({ data: await Promise.all((await modules.list(req.user!)).map(withLive)) }));

  app.post(
    '/api/admin/modules/preview',
    { schema: { tags, summary: 'The files a module would generate (dry run)', security: SIGNED_IN, body: moduleInputSchema, response: { 200: modulePreviewResponseSchema, ...SIGNED_IN_ERRORS, 422: invalid } } },
    async (req) => ({ files: await modules.preview(req.body) }),
  );

  const created = answer('Created, and published (SLIPWAY_PUBLISH_WAIT_MS > 0), or git publishing off', generateModuleResponseSchema);
  const queued = answer('Saved and queued: `deployment` is pending and `branches` empty; follow it live', generateModuleResponseSchema);
  const createSchema = { tags, summary: 'Create a module, publish its branch, start its deployment', security: SIGNED_IN, body: moduleInputSchema, response: { 201: created, 202: queued, ...generateErrors } };
  app.post('/api/admin/modules', { schema: createSchema }, async (req, reply) => {
    const r = await modules.create(req.user!, req.body);
    // 202: saved and queued, but publishing outlasted the wait; the deployment follows over realtime.
    const pending = r.module.git.enabled && r.branches.length === 0;
    return reply.code(pending ? 202 : 201).send(r);
  });

  app.get<{ Params: { slug: string } }>(
    '/api/admin/modules/:slug',
    { schema: { tags, summary: 'A module, with its latest deployment', security: SIGNED_IN, params: slugParams, response: { 200: moduleViewSchema, ...SIGNED_IN_ERRORS, 404: notFound } } },
    async (req) => withLive(await modules.get(req.user!, req.params.slug)),
  );

  app.put<{ Params: { slug: string } }>(
    '/api/admin/modules/:slug',
    {
      schema: {
        tags,
        summary: 'Change a module, publish it again (merged with edits on its branch)',
        security: SIGNED_IN,
        params: slugParams,
        body: moduleUpdateInputSchema,
        response: {
          200: generateModuleResponseSchema,
          ...generateErrors,
          404: notFound,
          409: answer('The base branch is refused, or `conflict`: edits on the module branch overlap the update (`conflicts`); nothing was saved or pushed', moduleConflictErrorSchema),
          502: answer("A module branch could not be read, or saved but publishing failed (waiting for the publish only)", apiErrorSchema),
        },
      },
    },
    async (req) => modules.update(req.user!, req.params.slug, req.body),
  );

  // What an update would do to each branch, file by file, with diffs (docs/modules.md).
  app.post<{ Params: { slug: string } }>(
    '/api/admin/modules/:slug/preview',
    {
      schema: {
        tags,
        summary: 'What an update would do to each module branch: every file with its status and a diff (dry run)',
        security: SIGNED_IN,
        params: slugParams,
        body: moduleUpdateInputSchema,
        response: { 200: moduleUpdatePreviewSchema, ...SIGNED_IN_ERRORS, 404: notFound, 422: invalid, 502: answer('A module branch or template pack could not be read', apiErrorSchema) },
      },
    },
    async (req) => modules.updatePreview(req.user!, req.params.slug, req.body),
  );

  // What a delete with deleteBranches=true would delete: the confirmation names them.
  app.get<{ Params: { slug: string } }>(
    '/api/admin/modules/:slug/branches',
    {
      schema: {
        tags,
        summary: "The module's branches that exist now (what deleteBranches=true deletes)",
        security: SIGNED_IN,
        params: slugParams,
        response: { 200: moduleBranchesResponseSchema, ...SIGNED_IN_ERRORS, 404: notFound, 502: answer('A repository could not be read', apiErrorSchema) },
      },
    },
    async (req) => ({ branches: await modules.branches(req.user!, req.params.slug) }),
  );

  // ?deleteBranches=true also deletes the module's branch in each target repository (docs/web.md).
  const deleteSchema = {
    tags,
    summary: 'Delete a module (and its branches)',
    security: SIGNED_IN,
    params: slugParams,
    querystring: z.object({ deleteBranches: z.enum(['true', 'false']).optional().describe("'true': also delete the module's branch in each target repository") }),
    response: {
      200: answer('Deleted, with its branches (deleteBranches=true)', moduleDeleteResponseSchema),
      204: z.undefined().describe('Deleted'),
      400: answer("deleteBranches is neither 'true' nor 'false'", apiErrorSchema),
      ...SIGNED_IN_ERRORS,
      404: notFound,
      502: answer('A branch could not be deleted: the module is kept', apiErrorSchema),
    },
  };
  app.delete<{ Params: { slug: string }; Querystring: { deleteBranches?: string } }>('/api/admin/modules/:slug', { schema: deleteSchema }, async (req, reply) => {
    const flag = req.query.deleteBranches;
    if (flag !== undefined && flag !== 'true' && flag !== 'false') {
      return reply.code(400).send({ error: 'bad_request', message: "deleteBranches must be 'true' or 'false'" });
    }
    const r = await modules.remove(req.user!, req.params.slug, { deleteBranches: flag === 'true' });
    return flag === 'true' ? reply.code(200).send(r) : reply.code(204).send();
  });
};
