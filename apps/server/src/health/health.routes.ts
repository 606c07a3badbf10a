import type { FastifyPluginAsync } from 'fastify';
import { healthSchema, notReadySchema, readySchema } from '@slipway/contracts';
import { answer, describeOnly } from '../openapi/route-schemas.ts';
import { failureMessage, type Readiness } from './readiness.ts';

/**
 * `GET /healthz`: liveness. 200 while the process serves HTTP; it touches nothing else, so a
 * database or Redis outage never gets a live instance restarted.
 * `GET /readyz`: readiness (readiness.ts). 200 with each check's result, or 503 naming the failed
 * checks and their reasons.
 */
export const healthRoutes: FastifyPluginAsync<{ readiness: Readiness }> = async (app, { readiness }) => {
  describeOnly(app);
  const live = { tags: ['health'], summary: 'Liveness: the process serves HTTP', response: { 200: answer('Alive', healthSchema) } };
  app.get('/healthz', { schema: live }, async () => ({ status: 'ok' }));

  const ready = {
    tags: ['health'],
    summary: 'Readiness: database, migrations, Redis (when configured), git',
    response: { 200: answer('Ready: each check and its result', readySchema), 503: answer('Not ready: the failed checks, and why', notReadySchema) },
  };
  app.get('/readyz', { schema: ready }, async (_req, reply) => {
    const report = await readiness.check();
    if (report.ready) return { status: 'ok', checks: report.checks };
    return reply.code(503).send({ status: 'unavailable', message: failureMessage(report), checks: report.checks });
  });
};
