import type { FastifyPluginAsync } from 'fastify';
import { answerScrape } from './access.ts';
import type { SlipwayMetrics } from './slipway-metrics.ts';

export interface MetricsRoutesOptions {
  metrics: SlipwayMetrics;
  /** SLIPWAY_METRICS_TOKEN: when set, a scrape must send `Authorization: Bearer <token>`. */
  token?: string;
}

/** `GET /metrics` on the app's own port (when SLIPWAY_METRICS_PORT is not set). */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, { metrics, token }) => {
  // A scrape every few seconds would fill the log with request lines: only failures are logged.
  app.get('/metrics', { logLevel: 'warn' }, async (req, reply) => {
    const a = await answerScrape(() => metrics.scrape(), token, req.headers.authorization);
    return reply.code(a.status).headers(a.headers).send(a.body);
  });
};
