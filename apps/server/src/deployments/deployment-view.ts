import type { DeploymentStatusUpdated, DeploymentTargetView, DeploymentView } from '@slipway/contracts';
import type { DeploymentRow, EventRow, TargetRow } from './deployments.store.ts';
import { ciMessage, logsTail } from './deployment-summary.ts';

export function targetView(t: TargetRow): DeploymentTargetView {
  return {
    application_id: t.application_id,
    status: t.status,
    progress: t.progress,
    external_id: t.external_id,
    commit_sha: t.commit_sha,
    url: t.url,
    run_url: t.run_url,
    message: t.message,
    started_at: t.started_at,
    finished_at: t.finished_at,
  };
}

export function logLines(events: readonly EventRow[]): string[] {
  return events.flatMap((e) => JSON.parse(e.logs) as string[]);
}

/** The `deployment.status-updated` payload: the spec's fields plus sequence, targets, commit, URL. */
export function toPayload(d: DeploymentRow, targets: readonly TargetRow[], events: readonly EventRow[]): DeploymentStatusUpdated {
  return {
    deployment_id: String(d.id),
    module_slug: d.module_slug,
    branch_name: d.branch_name,
    status: d.status,
    message: d.message,
    ci_message: ciMessage(targets),
    progress: d.progress,
    started_at: d.started_at,
    finished_at: d.finished_at,
    logs: logsTail(logLines(events)),
    sequence: d.last_sequence,
    targets: targets.map(targetView),
    commit_sha: d.commit_sha,
    url: d.url,
  };
}

/** Defined in the contracts, so the web app reads exactly what `toView()` builds. */
export type { DeploymentView } from '@slipway/contracts';

export function toView(d: DeploymentRow, targets: readonly TargetRow[], events: readonly EventRow[] = []): DeploymentView {
  const view: DeploymentView = { ...toPayload(d, targets, events), created_at: d.created_at, updated_at: d.updated_at, owner_id: d.owner_id };
  // A rollback names the deployment whose commits it redeploys (issue #16); others carry no field.
  if (d.rollback_of !== null && d.rollback_of !== undefined) view.rollback_of = String(d.rollback_of);
  return view;
}

/** One event of a deployment's history; `application_id` names the target it was about (null: the deployment's own). */
export function eventView(e: EventRow, appOf: ReadonlyMap<number, string> = new Map()) {
  return {
    sequence: e.sequence,
    application_id: e.target_id === null ? null : (appOf.get(e.target_id) ?? null),
    status: e.status,
    message: e.message,
    logs: JSON.parse(e.logs) as string[],
    created_at: e.created_at,
  };
}
