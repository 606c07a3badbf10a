/**
 * The deployment status machine: pending → building → deploying → success | failed | cancelled.
 * Forward only; terminal states absorb. Pure, so the server, the web app and tests share one truth.
 */
export const DEPLOYMENT_STATUSES = ['pending', 'building', 'deploying', 'success', 'failed', 'cancelled'] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const TERMINAL_STATUSES: readonly DeploymentStatus[] = ['success', 'failed', 'cancelled'];

const RANK: Record<DeploymentStatus, number> = {
  pending: 0,
  building: 1,
  deploying: 2,
  success: 3,
  failed: 3,
  cancelled: 3,
};

/** Progress shown for a status. Terminal states are 100 whatever came before, so order never matters. */
export const STATUS_PROGRESS: Record<DeploymentStatus, number> = {
  pending: 0,
  building: 30,
  deploying: 70,
  success: 100,
  failed: 100,
  cancelled: 100,
};

export function isTerminal(status: DeploymentStatus): boolean {
  return RANK[status] === 3;
}

export function statusRank(status: DeploymentStatus): number {
  return RANK[status];
}

/**
 * What a reported status does to a target currently in `current`.
 * - `advance`: strictly forward, the target moves.
 * - `same`: same non-terminal status again (more logs for the same stage): no move, news kept.
 * - `ignore`: backwards, or anything after a terminal state: nothing changes.
 */
export type Transition = 'advance' | 'same' | 'ignore';

export function transition(current: DeploymentStatus, reported: DeploymentStatus): Transition {
  if (isTerminal(current)) return 'ignore';
  if (RANK[reported] > RANK[current]) return 'advance';
  if (reported === current) return 'same';
  return 'ignore';
}

/**
 * A deployment's status from its targets': failed if any failed, success when every target
 * succeeded, cancelled when all ended and some were cancelled, otherwise the least advanced target.
 */
export function aggregateStatus(targets: readonly DeploymentStatus[]): DeploymentStatus {
  if (targets.length === 0) return 'pending';
  if (targets.includes('failed')) return 'failed';
  if (targets.every((s) => s === 'success')) return 'success';
  if (targets.every(isTerminal)) return 'cancelled';
  let least: DeploymentStatus = 'deploying';
  for (const s of targets) if (!isTerminal(s) && RANK[s] < RANK[least]) least = s;
  return least;
}

/** Mean of the targets' progress, rounded; 100 once the deployment is terminal. */
export function aggregateProgress(targets: readonly { status: DeploymentStatus; progress: number }[]): number {
  if (targets.length === 0) return 0;
  if (isTerminal(aggregateStatus(targets.map((t) => t.status)))) return 100;
  const sum = targets.reduce((acc, t) => acc + t.progress, 0);
  return Math.round(sum / targets.length);
}
