export { SlipwayMetrics, type MetricSources } from './slipway-metrics.ts';
export { metricsRoutes } from './metrics.routes.ts';
export { MetricsServer } from './metrics-server.ts';
export { timedPublisher, type PublishMetrics } from './timed-publisher.ts';
export { bearerMatches } from './access.ts';
