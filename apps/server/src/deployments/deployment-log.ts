import type { FastifyBaseLogger } from 'fastify';

/**
 * What every log line about a deployment carries: Slipway's id of it (`deploymentId`, as the API and
 * the realtime event say it) and the id its CI run reports under (`correlationId`: the webhook's
 * `deploymentId`, a target's `external_id`), when there is one.
 */
export function deploymentLogFields(deploymentId: number | string | undefined, correlationId?: string | null): { deploymentId?: string; correlationId?: string } {
  return {
    ...(deploymentId === undefined ? {} : { deploymentId: String(deploymentId) }),
    ...(correlationId ? { correlationId } : {}),
  };
}

/** A child logger whose every line names the deployment (and its CI run). */
export function deploymentLogger<L extends Pick<FastifyBaseLogger, 'child'>>(log: L, deploymentId: number | string, correlationId?: string | null): ReturnType<L['child']> {
  return log.child(deploymentLogFields(deploymentId, correlationId)) as ReturnType<L['child']>;
}
