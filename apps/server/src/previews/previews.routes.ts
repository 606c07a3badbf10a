import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { apiErrorSchema, listResponseSchema, previewTeardownResponseSchema, previewViewSchema, promoteInputSchema, promoteResponseSchema } from '@slipway/contracts';
import type { AuthService } from '../auth/auth.service.ts';
import { requireUser } from '../auth/auth.hooks.ts';
import { SIGNED_IN, SIGNED_IN_ERRORS, answer, describeOnly } from '../openapi/route-schemas.ts';
import { PromoteError, type Promoter } from '../githost/promote.ts';
import type { PreviewsService } from './previews.service.ts';

export interface PreviewRoutesOptions {
  auth: AuthService;
  previews: PreviewsService;
  promoter: Promoter;
  /** Who owns module `slug` (null: nobody, or no such module). */
  ownerOf(slug: string): Promise<number | null>;
}

const slugParams = z.object({ slug: z.string().describe("The module's slug") });

/** Previews (list, tear down) and Promote (docs/previews.md). */
export const previewRoutes: FastifyPluginAsync<PreviewRoutesOptions> = async (app, { auth, previews, promoter, ownerOf }) => {
  describeOnly(app);
  app.addHook('preHandler', requireUser(auth));
  app.setErrorHandler((err, _req, reply) => {
    if (!(err instanceof PromoteError)) throw err;
    return reply.code(err.status).send(err.details ? { error: err.code, message: err.message, details: err.details } : { error: err.code, message: err.message });
  });

  app.get(
    '/api/admin/previews',
    { schema: { tags: ['previews'], summary: "Previews: an admin's all, a member's of their own modules", security: SIGNED_IN, response: { 200: listResponseSchema(previewViewSchema), ...SIGNED_IN_ERRORS } } },
    async (req) => ({ data: await previews.list(req.user!) }),
  );

  app.delete<{ Params: { slug: string } }>(
    '/api/admin/previews/:slug',
    {
      schema: {
        tags: ['previews'],
        summary: "Tear down a module's previews (its owner or an admin)",
        security: SIGNED_IN,
        params: slugParams,
        response: { 200: previewTeardownResponseSchema, ...SIGNED_IN_ERRORS, 404: answer('No preview of that module that you can see', apiErrorSchema) },
      },
    },
    async (req, reply) => {
      const user = req.user!;
      const rows = await previews.ofModule(req.params.slug);
      const owner = await ownerOf(req.params.slug);
      if (!rows.length || (user.role !== 'admin' && owner !== user.id)) return reply.code(404).send({ error: 'not_found', message: `no preview of '${req.params.slug}' that you can see` });
      const r = await previews.tearDown(req.params.slug, `torn down by ${user.email ?? `user ${user.id}`}`);
      return { torn_down: r.count };
    },
  );

  app.post<{ Params: { slug: string } }>(
    '/api/admin/modules/:slug/promote',
    {
      schema: {
        tags: ['modules'],
        summary: "Promote a module: a pull request on GitHub; on a hosted repository, a merge once confirmed (its owner or an admin)",
        security: SIGNED_IN,
        params: slugParams,
        body: promoteInputSchema,
        response: {
          200: answer('What was done per application (kind confirm: send confirm: true to merge)', promoteResponseSchema),
          ...SIGNED_IN_ERRORS,
          404: answer('No such module that you can see', apiErrorSchema),
          409: answer('Nothing to promote to, or the merge conflicts (`details`: each conflicting file), or the base branch moved', apiErrorSchema),
          422: answer('invalid_input', apiErrorSchema),
          502: answer('GitHub refused or did not answer', apiErrorSchema),
        },
      },
    },
    async (req, reply) => {
      const body = promoteInputSchema.safeParse(req.body ?? {});
      if (!body.success) return reply.code(422).send({ error: 'invalid_input', message: 'the body is { "confirm": true } or empty', details: body.error.issues.map((i) => ({ field: i.path.join('.') || 'body', message: i.message })) });
      try {
        return { results: await promoter.promote(req.user!, req.params.slug, body.data) };
      } catch (err) {
        if ((err as Error).name === 'GitHubApiError') return reply.code(502).send({ error: 'github_failed', message: (err as Error).message });
        throw err;
      }
    },
  );
};
