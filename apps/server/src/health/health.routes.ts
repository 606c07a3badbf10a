import type { FastifyPluginAsync } from 'fastify';
import { failureMessage, type Readiness } from './readiness.ts';

/**
 * `GET /healthz`: liveness. 200 while the process serves HTTP; it touches nothing else, so a
 * database or Redis outage never gets a live instance restarted.
 * `GET /readyz`: readiness (readiness.ts). 200 with each check's result, or 503 naming the failed
 * checks and their reasons.
 */
export const healthRoutes: FastifyPluginAsync<{ readiness: Readiness }> = async (app, { readiness }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const report = await readiness.check();
    if (report.ready) return { status: 'ok', checks: report.checks };
    return reply.code(503).send({ status: 'unavailable', message: failureMessage(report), checks: report.checks });
  });
};
