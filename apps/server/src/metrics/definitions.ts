import { collectDefaultMetrics, Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DEPLOYMENT_STATUSES } from '@slipway/contracts';

/** Every outcome of a webhook delivery (`failed`: not stored, answered 500; `rate_limited`: 429 before the intake). */
export const DELIVERY_OUTCOMES = ['accepted', 'ignored', 'duplicate', 'rejected', 'failed', 'rate_limited'] as const;

/**
 * Slipway's metrics, on a registry of their own (never prom-client's global one: several servers
 * may run in one process, as the tests do). docs/metrics.md describes each.
 */
export function defineMetrics(registry: Registry) {
  const registers = [registry];
  collectDefaultMetrics({ register: registry });
  const m = {
    webhookDeliveries: new Counter({
      name: 'slipway_webhook_deliveries_total',
      help: 'Webhook deliveries by outcome (accepted, ignored, duplicate, rejected, failed; rate_limited: refused with 429 before the intake)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    webhookRejections: new Counter({
      name: 'slipway_webhook_rejections_total',
      help: 'Rejected webhook deliveries, by reason (invalid_signature, stale_timestamp, malformed_json, invalid_payload, payload_too_large)',
      labelNames: ['reason'] as const,
      registers,
    }),
    intakeDuration: new Histogram({
      name: 'slipway_webhook_intake_duration_seconds',
      help: 'Time from a delivery reaching the intake to its answer (signature, validation, commit), by outcome',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    deployments: new Gauge({
      name: 'slipway_deployments',
      help: 'Deployments in each status (the database, shared by every instance: the same value from each)',
      labelNames: ['status'] as const,
      registers,
    }),
    oldestUnfinishedIdle: new Gauge({
      name: 'slipway_deployment_oldest_unfinished_idle_seconds',
      help: 'Seconds since the unfinished deployment with the oldest news last changed (0 when none is unfinished)',
      registers,
    }),
    publishToLive: new Histogram({
      name: 'slipway_deployment_publish_to_live_seconds',
      help: 'Time from a module publish (its deployment created) to the deployment reaching success',
      buckets: [5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200],
      registers,
    }),
    publishDuration: new Histogram({
      name: 'slipway_publish_duration_seconds',
      help: "Time to commit and push a module's branch to one application's repository, by application and outcome (ok, error)",
      labelNames: ['application', 'outcome'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    jobs: new Gauge({
      name: 'slipway_jobs',
      help: 'Unfinished jobs per kind and state: queued (due, waiting for a worker), scheduled (due later), running',
      labelNames: ['kind', 'state'] as const,
      registers,
    }),
    jobOldestWait: new Gauge({
      name: 'slipway_job_oldest_wait_seconds',
      help: 'Per kind, how long the longest-waiting due job has waited past its time (0 when none waits)',
      labelNames: ['kind'] as const,
      registers,
    }),
    realtimeConnections: new Gauge({
      name: 'slipway_realtime_connections',
      help: "Open websocket connections on this instance's realtime server",
      registers,
    }),
    realtimeSubscriptions: new Gauge({
      name: 'slipway_realtime_subscriptions',
      help: "Channel subscriptions of this instance's websockets",
      registers,
    }),
    realtimeChannels: new Gauge({
      name: 'slipway_realtime_channels',
      help: "Channels with at least one of this instance's websockets",
      registers,
    }),
    realtimeMessages: new Counter({
      name: 'slipway_realtime_messages_total',
      help: 'Websocket messages received from clients (in) and sent to them (out) by this instance',
      labelNames: ['direction'] as const,
      registers,
    }),
  };
  for (const outcome of DELIVERY_OUTCOMES) {
    m.webhookDeliveries.inc({ outcome }, 0);
  }
  for (const status of DEPLOYMENT_STATUSES) m.deployments.set({ status }, 0);
  m.realtimeMessages.inc({ direction: 'in' }, 0);
  m.realtimeMessages.inc({ direction: 'out' }, 0);
  return m;
}

export type MetricSet = ReturnType<typeof defineMetrics>;

/** Only with a Redis bus (REDIS_URL): an unlabelled gauge always shows a value, and 0 would read as "down". */
export function defineRedisBusMetric(registry: Registry) {
  return new Gauge({
    name: 'slipway_realtime_redis_bus_connected',
    help: 'Whether this instance is on the Redis realtime bus (1) or not (0); present only when REDIS_URL is set',
    registers: [registry],
  });
}
