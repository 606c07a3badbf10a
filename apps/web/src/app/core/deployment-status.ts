import type { DeploymentDetail, DeploymentStatusUpdated, DeploymentTargetView, DeploymentView } from '@slipway/contracts';
import { DEPLOYMENT_STATUSES, isTerminal, statusRank, type DeploymentStatus } from '@slipway/contracts/status';

export { DEPLOYMENT_STATUSES, isTerminal, statusRank, type DeploymentStatus };
/**
 * A deployment as the list endpoints return it, and with its recent history (`GET
 * /api/admin/deployments/:id` and `/:slug/status`): the contracts' schemas, the ones the server's
 * routes declare (types only: no zod in the page).
 */
export type { DeploymentDetail, DeploymentStatusUpdated, DeploymentTargetView, DeploymentView };

/** The stages a deployment goes through, in order; the last one is how it ended. */
export const STAGES = ['pending', 'building', 'deploying'] as const;

const LABELS: Record<DeploymentStatus, string> = {
  pending: 'Pending',
  building: 'Building',
  deploying: 'Deploying',
  success: 'Success',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const ICONS: Record<DeploymentStatus, string> = {
  pending: 'schedule',
  building: 'construction',
  deploying: 'rocket_launch',
  success: 'check_circle',
  failed: 'error',
  cancelled: 'block',
};

const DESCRIPTIONS: Record<DeploymentStatus, string> = {
  pending: 'Waiting for CI to pick up the branch…',
  building: 'CI is building the image…',
  deploying: 'Deploying…',
  success: 'Deployed.',
  failed: 'The deployment failed.',
  cancelled: 'The deployment was cancelled.',
};

export const statusLabel = (s: DeploymentStatus) => LABELS[s];
/** A sentence for a status, when the deployment carries no message of its own. */
export const statusDescription = (s: DeploymentStatus) => DESCRIPTIONS[s];
export const statusIcon = (s: DeploymentStatus) => ICONS[s];

/** Success message of the spec; the server sends it too, this is only for a view that lacks it. */
export const successMessage = (slug: string) => `Module '${slug}' deployed successfully! 🎉`;

/** How one stage stands for a deployment now: done, current, failed there, or still to come. */
export type StageState = 'done' | 'current' | 'failed' | 'todo';

export function stageState(stage: DeploymentStatus, current: DeploymentStatus, reached?: DeploymentStatus | null): StageState {
  if (current === 'success') return 'done';
  const r = statusRank(stage);
  if (isTerminal(current)) {
    // Failed or cancelled: the stages before the one it got to are done, that one failed. Without
    // history (reached unknown) we cannot tell where it stopped: earlier stages show done.
    if (!reached) return 'done';
    const at = statusRank(reached);
    return r < at ? 'done' : r === at ? 'failed' : 'todo';
  }
  const c = statusRank(current);
  return r < c ? 'done' : r === c ? 'current' : 'todo';
}

/** The furthest non-terminal stage among these statuses (where a failed deployment stopped). */
export function furthestStage(statuses: readonly (DeploymentStatus | null | undefined)[]): DeploymentStatus | null {
  let best: DeploymentStatus | null = null;
  for (const s of statuses) if (s && !isTerminal(s) && (!best || statusRank(s) > statusRank(best))) best = s;
  return best;
}

/**
 * Milliseconds between creation (the publish: rendering and pushing count too) and end (or now);
 * from CI's start when the creation time is not known (a broadcast only).
 */
export function elapsedMs(d: { started_at: string | null; finished_at: string | null; created_at?: string }, now: number): number | null {
  const start = d.created_at ?? d.started_at ?? null;
  if (!start) return null;
  const end = d.finished_at ? Date.parse(d.finished_at) : now;
  return Math.max(0, end - Date.parse(start));
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

/**
 * Log lines so far + a newer tail of the same log (events and snapshots carry the last lines, not
 * only the new ones): find where the lines we have end inside the tail (the longest alignment of
 * our last lines with a prefix of the tail) and append only what follows.
 */
export function mergeLogs(have: readonly string[], tail: readonly string[], max = 2000): string[] {
  if (tail.length === 0) return have.slice(-max);
  if (have.length === 0) return tail.slice(-max);
  for (let p = tail.length; p >= 1; p--) {
    const n = Math.min(p, have.length);
    let same = true;
    for (let k = 1; k <= n; k++) {
      if (tail[p - k] !== have[have.length - k]) {
        same = false;
        break;
      }
    }
    if (same) return [...have, ...tail.slice(p)].slice(-max);
  }
  return [...have, ...tail].slice(-max);
}

type TargetNews = Pick<DeploymentTargetView, 'application_id' | 'status' | 'message' | 'finished_at'>;

/** The application whose failure ended a deployment: the first to fail. */
export function failedTarget<T extends TargetNews>(targets: readonly T[]): T | undefined {
  const at = (t: T) => t.finished_at ?? '\uffff';
  return targets.filter((t) => t.status === 'failed').sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : 0))[0];
}

/** Words that say a module is live, or part of it: never the headline of a deployment that is not. */
const SAYS_LIVE = /deployed successfully|deployed; waiting for the others/i;

/**
 * The one line a deployment shows (dialog, deployments list): the success line only once it
 * succeeded; a failure in the failed application's words; otherwise its newest news.
 */
export function headline(d: Pick<DeploymentStatusUpdated, 'status' | 'module_slug' | 'message'> & { targets: readonly TargetNews[] }): string {
  if (d.status === 'success') return d.module_slug ? successMessage(d.module_slug) : (d.message ?? statusDescription('success'));
  if (d.message && !SAYS_LIVE.test(d.message)) return d.message;
  if (d.status === 'failed') {
    const t = failedTarget(d.targets);
    if (t) return `${t.application_id}: ${t.message && !SAYS_LIVE.test(t.message) ? t.message : 'failed'}`;
  }
  return isTerminal(d.status) || !d.message ? statusDescription(d.status) : d.message;
}

/**
 * CI's own words under the headline (`ci_message`: the newest any application reported): not a
 * repeat of the headline, and never a success line on a deployment that did not succeed (the
 * frontend's "deployed successfully" after the backend failed).
 */
export function ciNote(d: Pick<DeploymentStatusUpdated, 'status' | 'ci_message'>, shown: string): string | null {
  const m = d.ci_message;
  if (!m || m === shown) return null;
  return d.status !== 'success' && SAYS_LIVE.test(m) ? null : m;
}
