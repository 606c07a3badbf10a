import { aggregateProgress, aggregateStatus, isTerminal, successMessage, type DeploymentStatus } from '@slipway/contracts';
import type { TargetState } from './target-state.ts';

export interface DeploymentSummary {
  status: DeploymentStatus;
  progress: number;
  startedAt: string | null;
  finishedAt: string | null;
}

/**
 * A deployment's own status, progress and times, derived from its targets (aggregateStatus: failed
 * if any failed, success when all succeeded, otherwise the least advanced). Pure.
 */
export function summarize(targets: readonly Pick<TargetState, 'status' | 'progress' | 'startedAt' | 'finishedAt'>[]): DeploymentSummary {
  const status = aggregateStatus(targets.map((t) => t.status));
  const started = targets.map((t) => t.startedAt).filter((x): x is string => x !== null).sort();
  const finished = targets.map((t) => t.finishedAt).filter((x): x is string => x !== null).sort();
  return {
    status,
    progress: aggregateProgress(targets),
    startedAt: started[0] ?? null,
    finishedAt: isTerminal(status) ? (finished[finished.length - 1] ?? null) : null,
  };
}

/**
 * The message a deployment shows: the spec's success line once it is live, else the newest news.
 * One target's CI may say the success line itself (the runner and the notifier do) while others
 * still run: the deployment then says whose success it is, never that the module is live.
 */
export function deploymentMessage(
  status: DeploymentStatus,
  slug: string | null,
  latest: string | null,
  o: { applicationId?: string; previous?: string | null; failed?: FailedTarget; targets?: number } = {},
): string | null {
  if (status === 'success' && slug) return successMessage(slug);
  // A failed deployment of several applications speaks for the one that failed, whatever the
  // others said last (a lone target's news already is its own).
  if (status === 'failed' && o.failed && (o.targets ?? 1) > 1) return failureMessage(o.failed, slug);
  if (latest === null || !slug || latest !== successMessage(slug)) return latest;
  // Ended otherwise (another target failed first): that news stays.
  if (isTerminal(status)) return o.previous === successMessage(slug) ? null : (o.previous ?? null);
  return `${o.applicationId ?? 'One application'} deployed; waiting for the others`;
}

type FailedTarget = { application_id: string; message: string | null };

/**
 * The target whose failure ended a deployment: the first to fail (earliest finished; ties go to the
 * lower id). Undefined when none failed. Pure.
 */
export function firstFailed<T extends FailedTarget & { id: number; status: DeploymentStatus; finished_at: string | null }>(targets: readonly T[]): T | undefined {
  const at = (t: T) => t.finished_at ?? '\uffff';
  let first: T | undefined;
  for (const t of targets) {
    if (t.status !== 'failed') continue;
    if (!first || at(t) < at(first) || (at(t) === at(first) && t.id < first.id)) first = t;
  }
  return first;
}

/** "backend: Build failed: …": the failed target's own words, never the success line. */
export function failureMessage(t: FailedTarget, slug: string | null): string {
  const own = t.message && (!slug || t.message !== successMessage(slug)) ? t.message : 'failed';
  return `${t.application_id}: ${own}`;
}

/**
 * What the reporters last said about a deployment: the message of its most recently changed target
 * (ties, within one millisecond, go to the later target). Kept beside the deployment's `message`,
 * which turns into the spec's success line. Pure.
 */
export function ciMessage(targets: readonly { id: number; message: string | null; updated_at: string }[]): string | null {
  let newest: (typeof targets)[number] | undefined;
  for (const t of targets) {
    if (t.message === null) continue;
    if (!newest || t.updated_at > newest.updated_at || (t.updated_at === newest.updated_at && t.id > newest.id)) newest = t;
  }
  return newest?.message ?? null;
}

/**
 * The last log lines, bounded so a broadcast stays far under the Pusher protocol's 10 KB limit
 * even with long lines (each is cut to 300 characters; the tail keeps at most 4,000 characters).
 */
export function logsTail(lines: readonly string[], maxLines = 40, maxChars = 4000): string[] {
  const out: string[] = [];
  let used = 0;
  for (let i = lines.length - 1; i >= 0 && out.length < maxLines; i--) {
    const line = lines[i]!.length > 300 ? `${lines[i]!.slice(0, 299)}…` : lines[i]!;
    if (used + line.length > maxChars) break;
    used += line.length;
    out.push(line);
  }
  return out.reverse();
}
