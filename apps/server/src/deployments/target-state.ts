import { STATUS_PROGRESS, isTerminal, transition, type DeploymentStatus } from '@slipway/contracts';

/** The mutable part of a deployment target, as the status machine sees it. */
export interface TargetState {
  status: DeploymentStatus;
  progress: number;
  externalId: string | null;
  commitSha: string | null;
  url: string | null;
  runUrl: string | null;
  message: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  /** The CI run attempt followed; null until a report names one. */
  runAttempt: number | null;
}

/** One report about a target, already mapped to an internal status. */
export interface TargetReport {
  status: DeploymentStatus;
  externalId?: string;
  commitSha?: string;
  url?: string;
  runUrl?: string;
  message?: string;
  /** Explicit progress within the stage (0–100 overall), never beyond the stage's ceiling. */
  progress?: number;
  /** The CI run's attempt (a re-run keeps the run's id). */
  runAttempt?: number;
}

export type TargetOutcome =
  | { kind: 'ignored'; reason: string }
  | { kind: 'changed'; next: TargetState; statusChanged: boolean };

export function newTargetState(): TargetState {
  return {
    status: 'pending',
    progress: 0,
    externalId: null,
    commitSha: null,
    url: null,
    runUrl: null,
    message: null,
    startedAt: null,
    finishedAt: null,
    runAttempt: null,
  };
}

/**
 * Applies a report to a target: forward only, terminal states absorb, so any order or repetition
 * of the same reports ends in the same status. One exception: a later attempt of the run (a CI
 * "Re-run" keeps the run's id) starts the target over, from any state; an earlier attempt's
 * reports are then ignored. Pure.
 */
export function applyReport(current: TargetState, report: TargetReport, now: string): TargetOutcome {
  const attempt = report.runAttempt;
  if (attempt !== undefined && current.runAttempt !== null && attempt < current.runAttempt) {
    return { kind: 'ignored', reason: `a report of attempt ${attempt}; the target follows attempt ${current.runAttempt}` };
  }
  // A target nothing has moved yet has nothing to start over: the attempt is simply recorded.
  if (attempt !== undefined && attempt > (current.runAttempt ?? 1) && current.startedAt !== null) {
    const fresh: TargetState = { ...newTargetState(), externalId: current.externalId, commitSha: current.commitSha, runUrl: current.runUrl, runAttempt: attempt };
    const outcome = forward(fresh, report, now);
    if (outcome.kind === 'changed') return { ...outcome, statusChanged: outcome.next.status !== current.status };
    // A later attempt that reports `pending` still starts over: the old outcome is no longer news.
    return { kind: 'changed', next: { ...fresh, message: report.message ?? null }, statusChanged: current.status !== 'pending' };
  }
  const outcome = forward(current, report, now);
  if (outcome.kind === 'changed' && attempt !== undefined && outcome.next.runAttempt === null) outcome.next.runAttempt = attempt;
  return outcome;
}

/** The status machine proper: forward only, terminal states absorb. */
function forward(current: TargetState, report: TargetReport, now: string): TargetOutcome {
  const move = transition(current.status, report.status);
  if (move === 'ignore') {
    return {
      kind: 'ignored',
      reason: isTerminal(current.status)
        ? `target already ${current.status}`
        : `'${report.status}' would move the target back from '${current.status}'`,
    };
  }
  const status = move === 'advance' ? report.status : current.status;
  const floor = STATUS_PROGRESS[status];
  const ceiling = isTerminal(status) ? 100 : nextCeiling(status);
  const asked = report.progress ?? floor;
  const progress = Math.max(current.progress, Math.min(Math.max(asked, floor), ceiling));
  const next: TargetState = {
    status,
    progress: isTerminal(status) ? 100 : progress,
    externalId: current.externalId ?? report.externalId ?? null,
    commitSha: current.commitSha ?? report.commitSha ?? null,
    url: report.url ?? current.url,
    runUrl: report.runUrl ?? current.runUrl,
    message: report.message ?? current.message,
    startedAt: current.startedAt ?? (status !== 'pending' ? now : null),
    finishedAt: current.finishedAt ?? (isTerminal(status) ? now : null),
    runAttempt: current.runAttempt,
  };
  return { kind: 'changed', next, statusChanged: status !== current.status };
}

/** A stage's progress stays below the next stage's floor. */
function nextCeiling(status: DeploymentStatus): number {
  if (status === 'pending') return STATUS_PROGRESS.building - 1;
  if (status === 'building') return STATUS_PROGRESS.deploying - 1;
  return 99;
}
