import { HttpClient, HttpParams } from '@angular/common/http';
import { DestroyRef, Injectable, type Signal, computed, inject, signal } from '@angular/core';
import { Subject, firstValueFrom } from 'rxjs';
import type { DeploymentPage, ListResponse } from '@slipway/contracts';
import { apiProblem } from './api-error';
import {
  type DeploymentDetail,
  type DeploymentStatus,
  type DeploymentStatusUpdated,
  type DeploymentView,
  furthestStage,
  isTerminal,
  mergeLogs,
} from './deployment-status';
import { WebsocketService } from './websocket.service';

/** What the app knows of one deployment: the newest snapshot or event, with every log line seen. */
export type TrackedDeployment = DeploymentStatusUpdated &
  Partial<Pick<DeploymentView, 'created_at' | 'updated_at' | 'owner_id' | 'live' | 'rollback_of'>> & {
    /** The furthest stage seen before the end (where a failure happened), when known. */
    reached?: DeploymentStatus | null;
    /** The same, per application: where the application that failed stopped. */
    reachedBy?: Readonly<Record<string, DeploymentStatus | null>>;
    /**
     * Log lines per application, from the last full snapshot's history (a broadcast's tail does not
     * say whose lines it holds), and the sequence of that snapshot.
     */
    logsBy?: Readonly<Record<string, readonly string[]>>;
    logsBySequence?: number;
  };

export interface DeploymentFilter {
  status?: DeploymentStatus | null;
  module?: string | null;
}

/** Where a change came from: a broadcast (strictly newer only) or an API snapshot (same or newer). */
type Source = 'event' | 'snapshot';

const numericId = (d: { deployment_id: string }) => Number(d.deployment_id) || 0;

/**
 * Tracks deployments as signals. Events and API snapshots go through one `apply`, which keeps the
 * newest state by the payload's per-deployment `sequence` and merges log tails, so a late, repeated
 * or out-of-order broadcast never moves a deployment backwards. After a reconnect it refetches
 * what it shows.
 */
@Injectable({ providedIn: 'root' })
export class DeploymentService {
  private readonly http = inject(HttpClient);
  private readonly ws = inject(WebsocketService);
  private readonly byId = signal<ReadonlyMap<string, TrackedDeployment>>(new Map());
  /** Deployments someone is looking at (an open dialog): refetched in full on resync. */
  private readonly watched = new Map<string, number>();

  /** Newest first. */
  readonly all = computed(() => [...this.byId().values()].sort((a, b) => numericId(b) - numericId(a)));
  readonly active = computed(() => this.all().filter((d) => !isTerminal(d.status)));
  readonly loading = signal(false);
  readonly problem = signal<string | null>(null);
  /** A deployment this app saw running has just ended (success, failed or cancelled). */
  readonly finished = new Subject<TrackedDeployment>();

  /** Deployments being refetched after a sequence gap (one request at a time each). */
  private readonly gapFetches = new Set<string>();

  constructor() {
    const subs = [
      this.ws.events.subscribe((e) => this.onEvent(e)),
      this.ws.resync.subscribe(() => void this.resync()),
    ];
    inject(DestroyRef).onDestroy(() => subs.forEach((s) => s.unsubscribe()));
  }

  get(id: string): Signal<TrackedDeployment | undefined> {
    return computed(() => this.byId().get(id));
  }

  /** The newest deployment of a module that this app knows, or the given one if it is newer. */
  latestOf(slug: string, known: DeploymentView | null): TrackedDeployment | null {
    let best: TrackedDeployment | null = known ? (this.byId().get(known.deployment_id) ?? known) : null;
    for (const d of this.byId().values()) {
      if (d.module_slug === slug && (!best || numericId(d) > numericId(best))) best = d;
    }
    return best;
  }

  /**
   * A broadcast. One that skips sequences (those between were lost, e.g. while a server's realtime
   * bus was down) is applied, and the deployment is fetched in full: its logs and history come
   * only with the events that were missed.
   */
  private onEvent(e: DeploymentStatusUpdated): void {
    const have = this.byId().get(e.deployment_id);
    const gap = have !== undefined && e.sequence > have.sequence + 1;
    this.apply(e, 'event');
    if (!gap || this.gapFetches.has(e.deployment_id)) return;
    this.gapFetches.add(e.deployment_id);
    void this.refresh(e.deployment_id)
      .catch(() => undefined)
      .finally(() => this.gapFetches.delete(e.deployment_id));
  }

  /**
   * Takes a broadcast or a snapshot; returns whether it changed anything. Events at or below the
   * sequence shown are dropped; a snapshot at the same sequence may still add log lines.
   */
  apply(next: DeploymentStatusUpdated | DeploymentView | DeploymentDetail, source: Source): boolean {
    const id = next.deployment_id;
    const have = this.byId().get(id);
    if (have && (next.sequence < have.sequence || (source === 'event' && next.sequence === have.sequence))) return false;
    const merged: TrackedDeployment = {
      ...have,
      ...stripHistory(next),
      // A full snapshot holds every line up to its sequence (lines of missed events included, in
      // their place); a broadcast or a list row holds a tail, merged into what is known.
      logs: 'all_logs' in next ? next.all_logs.slice(-2000) : mergeLogs(have?.logs ?? [], next.logs),
      reached: furthestStage([
        have?.reached,
        next.status,
        ...next.targets.map((t) => t.status),
        ...('events' in next ? next.events.map((e) => e.status) : []),
      ]),
      reachedBy: Object.fromEntries(
        next.targets.map((t) => [
          t.application_id,
          furthestStage([
            have?.reachedBy?.[t.application_id],
            t.status,
            ...('events' in next ? next.events.filter((e) => e.application_id === t.application_id).map((e) => e.status) : []),
          ]),
        ]),
      ),
      ...('events' in next ? { logsBy: linesByApplication(next.events), logsBySequence: next.sequence } : {}),
    };
    const map = new Map(this.byId());
    map.set(id, merged);
    this.byId.set(map);
    if (have && !isTerminal(have.status) && isTerminal(merged.status)) this.finished.next(merged);
    return true;
  }

  /** Active deployments and the newest ones (optionally filtered) from the API. */
  async load(filter: DeploymentFilter = {}): Promise<void> {
    this.loading.set(true);
    try {
      let params = new HttpParams().set('per_page', 50);
      if (filter.status) params = params.set('status', filter.status);
      if (filter.module) params = params.set('module', filter.module);
      const [active, recent] = await Promise.all([
        firstValueFrom(this.http.get<ListResponse<DeploymentView>>('/api/admin/deployments/active')),
        firstValueFrom(this.http.get<DeploymentPage>('/api/admin/deployments', { params })),
      ]);
      for (const d of [...active.data, ...recent.data]) this.apply(d, 'snapshot');
      this.problem.set(null);
    } catch (err) {
      this.problem.set(apiProblem(err).message);
      throw err;
    } finally {
      this.loading.set(false);
    }
  }

  /** Cancel: the deployment ends `cancelled` (its owner and admins only); answers it as it is now. */
  cancel(id: string): Promise<string> {
    return this.control(`/api/admin/deployments/${encodeURIComponent(id)}/cancel`);
  }

  /** Retry the failed applications of a finished deployment: answers the NEW deployment's id. */
  retry(id: string): Promise<string> {
    return this.control(`/api/admin/deployments/${encodeURIComponent(id)}/retry`);
  }

  /** Redeploy the module's current commits through its pipeline: answers the NEW deployment's id. */
  redeploy(slug: string): Promise<string> {
    return this.control(`/api/admin/modules/${encodeURIComponent(slug)}/redeploy`);
  }

  /**
   * Roll `slug` back to what successful deployment `deploymentId` ran (its commits, never the branch
   * head; its owner and admins only): answers the NEW deployment's id, marked `rollback_of`.
   */
  async rollback(slug: string, deploymentId: string): Promise<string> {
    const d = await firstValueFrom(this.http.post<DeploymentDetail>(`/api/admin/modules/${encodeURIComponent(slug)}/rollback`, { deploymentId }));
    this.apply(d, 'snapshot');
    return d.deployment_id;
  }

  /**
   * Start the module's stopped services again (Slipway's local runner; its owner and admins only):
   * answers its latest deployment's id, whose `live` says how they are now.
   */
  startServices(slug: string): Promise<string> {
    return this.control(`/api/admin/modules/${encodeURIComponent(slug)}/services/start`);
  }

  private async control(url: string): Promise<string> {
    const d = await firstValueFrom(this.http.post<DeploymentDetail>(url, null));
    this.apply(d, 'snapshot');
    return d.deployment_id;
  }

  /** One deployment in full (logs and history) from the API. */
  async refresh(id: string): Promise<TrackedDeployment | undefined> {
    const d = await firstValueFrom(this.http.get<DeploymentDetail>(`/api/admin/deployments/${encodeURIComponent(id)}`));
    this.apply(d, 'snapshot');
    return this.byId().get(id);
  }

  /** A view (dialog) follows this deployment: fetch it now, and again on every resync. */
  watch(id: string): void {
    this.watched.set(id, (this.watched.get(id) ?? 0) + 1);
  }

  unwatch(id: string): void {
    const n = (this.watched.get(id) ?? 1) - 1;
    if (n <= 0) this.watched.delete(id);
    else this.watched.set(id, n);
  }

  isWatched(id: string): boolean {
    return this.watched.has(id);
  }

  private resyncing: Promise<void> | null = null;
  private resyncAgain = false;

  /**
   * After a reconnect or a resync hint: the current state of everything unfinished and everything
   * watched. Hints that arrive during a refetch (every instance may send one when Redis comes
   * back) make one more refetch after it, not one each.
   */
  resync(): Promise<void> {
    if (this.resyncing) {
      this.resyncAgain = true;
      return this.resyncing;
    }
    this.resyncing = (async () => {
      do {
        this.resyncAgain = false;
        await this.refetchShown();
      } while (this.resyncAgain);
    })().finally(() => (this.resyncing = null));
    return this.resyncing;
  }

  private async refetchShown(): Promise<void> {
    const ids = new Set([...this.watched.keys(), ...this.active().map((d) => d.deployment_id)]);
    try {
      const active = await firstValueFrom(this.http.get<ListResponse<DeploymentView>>('/api/admin/deployments/active'));
      for (const d of active.data) this.apply(d, 'snapshot');
      await Promise.all([...ids].map((id) => this.refresh(id).catch(() => undefined)));
      this.problem.set(null);
    } catch (err) {
      this.problem.set(apiProblem(err).message);
    }
  }

  /**
   * The deployment a module's publish started, when the create/update call answered before the
   * branch was pushed (202): watches events and asks the status API until one newer than `since`
   * shows up. Null after the timeout.
   */
  async waitForModule(slug: string, since: string, timeoutMs = 120_000, pollMs = 2_000): Promise<string | null> {
    const newer = (d: { created_at?: string } | undefined | null) => !!d?.created_at && d.created_at >= since;
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const known = this.all().find((d) => d.module_slug === slug && (newer(d) || !d.created_at));
      if (known) return known.deployment_id;
      try {
        const d = await firstValueFrom(this.http.get<DeploymentDetail>(`/api/admin/deployments/${encodeURIComponent(slug)}/status`));
        if (newer(d)) {
          this.apply(d, 'snapshot');
          return d.deployment_id;
        }
      } catch {
        /* 404 until the first deployment exists */
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    return null;
  }

  /** Signed out: forget everything. */
  clear(): void {
    this.byId.set(new Map());
    this.watched.clear();
  }
}

function stripHistory(d: DeploymentStatusUpdated | DeploymentView | DeploymentDetail): DeploymentStatusUpdated {
  const { all_logs: _a, events: _e, ...rest } = d as DeploymentDetail;
  return rest;
}

/** The history's log lines grouped by the application each event was about. */
function linesByApplication(events: DeploymentDetail['events']): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const e of events) if (e.application_id) (out[e.application_id] ??= []).push(...e.logs);
  return out;
}
