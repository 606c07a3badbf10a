import { Clipboard } from '@angular/cdk/clipboard';
import { DatePipe } from '@angular/common';
import {
  ChangeDetectionStrategy,
  Component,
  DestroyRef,
  type ElementRef,
  afterRenderEffect,
  computed,
  effect,
  inject,
  signal,
  viewChild,
} from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatButtonToggleModule } from '@angular/material/button-toggle';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatProgressSpinnerModule } from '@angular/material/progress-spinner';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTooltipModule } from '@angular/material/tooltip';
import { apiProblem } from '../../../../core/api-error';
import { DeploymentService } from '../../../../core/deployment.service';
import {
  type DeploymentStatus,
  STAGES,
  ciNote,
  elapsedMs,
  failedTarget,
  formatDuration,
  headline,
  isTerminal,
  stageState,
  statusIcon,
  statusLabel,
} from '../../../../core/deployment-status';
import { WebsocketService } from '../../../../core/websocket.service';
import { AuthService } from '../../../../core/auth.service';
import { DeploymentWatchersService } from '../../../../core/deployment-watchers.service';
import { StatusChipComponent } from '../../../../shared/status-chip.component';
import { DeploymentStatusDialog } from './deployment-status-dialog.service';

export interface DeploymentStatusData {
  deploymentId: string;
}

const FAILURE_TAIL = 12;

/**
 * The live view of one deployment (spec: dialogs/deployment-status). Reads the deployment from
 * DeploymentService (events and snapshots merged by sequence), fetches it in full when opened, and
 * again after any reconnect while open. Closing loses nothing: the service keeps following it.
 */
@Component({
  selector: 'app-deployment-status',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    DatePipe,
    MatDialogModule,
    MatButtonModule,
    MatButtonToggleModule,
    MatIconModule,
    MatProgressBarModule,
    MatProgressSpinnerModule,
    MatTooltipModule,
    StatusChipComponent,
  ],
  templateUrl: './deployment-status.component.html',
  styleUrl: './deployment-status.component.scss',
})
export class DeploymentStatusComponent {
  private readonly deployments = inject(DeploymentService);
  private readonly clipboard = inject(Clipboard);
  private readonly snackBar = inject(MatSnackBar);
  protected readonly ws = inject(WebsocketService);
  protected readonly data = inject<DeploymentStatusData>(MAT_DIALOG_DATA);

  protected readonly deployment = this.deployments.get(this.data.deploymentId);
  private readonly watchers = inject(DeploymentWatchersService);
  private readonly auth = inject(AuthService);
  private readonly watching = this.watchers.watch(this.data.deploymentId);
  /** Others with this deployment open right now (presence channel), the viewer left out. */
  protected readonly otherWatchers = computed(() => this.watching().filter((w) => w.id !== this.auth.user()?.id));
  protected readonly loading = signal(false);
  /** A control (Cancel, Retry) is on its way. */
  protected readonly busy = signal(false);
  /** A successful deployment older than its module's newest: Rollback (docs/web.md) redeploys what it ran. */
  protected readonly canRollBack = computed(() => {
    const d = this.deployment();
    return d?.status === 'success' && !!d.module_slug && this.deployments.latestOf(d.module_slug, null)?.deployment_id !== d.deployment_id;
  });
  protected readonly canRetry = computed(() => this.terminal() && (this.deployment()?.targets ?? []).some((t) => t.status === 'failed'));
  /** Opens the deployment a Retry started (the dialog service, which owns this dialog). */
  private readonly statusDialog = inject(DeploymentStatusDialog);
  protected readonly problem = signal<string | null>(null);
  private readonly now = signal(Date.now());
  private readonly logBox = viewChild<ElementRef<HTMLElement>>('logBox');
  private stickToBottom = true;
  /** Where the last automatic scroll put the log: a scroll event there is ours, not the reader's. */
  private autoScrollTop = -1;

  protected readonly statusLabel = statusLabel;
  protected readonly watcherNames = (list: { email: string }[]) => list.map((w) => w.email).join(', ');
  protected readonly statusIcon = statusIcon;

  protected readonly status = computed(() => this.deployment()?.status ?? 'pending');
  protected readonly terminal = computed(() => isTerminal(this.status()));
  protected readonly failed = computed(() => this.status() === 'failed' || this.status() === 'cancelled');
  /** The application whose log is shown; null: all of them, as they came. */
  protected readonly logApp = signal<string | null>(null);
  protected readonly applications = computed(() => (this.deployment()?.targets ?? []).map((t) => t.application_id));
  private readonly allLogs = computed(() => this.deployment()?.logs ?? []);
  private readonly linesOf = (app: string) => this.deployment()?.logsBy?.[app] ?? [];
  protected readonly logs = computed(() => {
    const app = this.logApp();
    return app ? this.linesOf(app) : this.allLogs();
  });
  /** The application that failed first: the reason, stage and log lines come from it. */
  protected readonly failedTarget = computed(() => failedTarget(this.deployment()?.targets ?? []));
  protected readonly failureReason = computed(() => {
    const d = this.deployment();
    const t = this.failedTarget();
    if (!d) return '';
    return t && d.targets.length > 1 ? headline({ ...d, message: null }) : this.message();
  });
  protected readonly failureTail = computed(() => {
    const t = this.failedTarget();
    const own = t ? this.linesOf(t.application_id) : [];
    return (own.length ? own : this.allLogs()).slice(-FAILURE_TAIL);
  });
  protected readonly elapsed = computed(() => {
    const d = this.deployment();
    return d ? formatDuration(elapsedMs(d, this.now())) : '—';
  });
  protected readonly message = computed(() => {
    const d = this.deployment();
    return d ? headline(d) : '';
  });
  /** CI's own words, when the headline says something else (the success line, a status sentence). */
  protected readonly ciMessage = computed(() => {
    const d = this.deployment();
    return d ? ciNote(d, this.message()) : null;
  });
  /** pending → building → deploying → success | failed, with where this deployment stands. */
  protected readonly steps = computed(() => {
    const s = this.status();
    const d = this.deployment();
    const failed = this.failedTarget();
    // Where the failed application stopped, not how far the others got.
    const reached = (failed ? d?.reachedBy?.[failed.application_id] : undefined) ?? d?.reached ?? null;
    const end: DeploymentStatus = s === 'failed' || s === 'cancelled' ? s : 'success';
    return [
      ...STAGES.map((stage) => ({ status: stage as DeploymentStatus, label: statusLabel(stage), state: stageState(stage, s, reached) })),
      {
        status: end,
        label: statusLabel(end),
        state: s === end ? (end === 'success' ? 'done' : 'failed') : 'todo',
      },
    ];
  });
  protected readonly runLinks = computed(() =>
    (this.deployment()?.targets ?? []).filter((t) => t.run_url).map((t) => ({ application: t.application_id, url: t.run_url! })),
  );
  /**
   * Whether the services Slipway runs for it answer now (`live`, from the API's health probe):
   * null when Slipway cannot say (CI elsewhere deployed it, or it did not succeed).
   */
  protected readonly liveState = computed(() => {
    const d = this.deployment();
    return d?.status === 'success' ? (d.live?.state ?? null) : null;
  });
  /** Only a deployment that succeeded, and whose services are not known to be down, offers its live module. */
  protected readonly liveUrl = computed(() => {
    const d = this.deployment();
    if (d?.status !== 'success' || (this.liveState() !== null && this.liveState() !== 'running')) return null;
    // `live.url`: the module's preview under Slipway's origin (/preview/<slug>/<app>/…) when it has one.
    if (d.live?.url) return absolute(d.live.url);
    const target = d.targets.find((t) => t.url && t.url === d.url) ?? d.targets.find((t) => t.url);
    const url = d.url ?? target?.url ?? null;
    // No preview named by the API (not fetched since it succeeded): the local runner's loopback service is reached through its preview.
    return absolute(target && d.module_slug && isLocalRun(target.external_id) ? viaPreview(d.module_slug, target.application_id, url) : url);
  });
  /** A target's link: its preview under Slipway's origin when the API names one (`live.services[].url`), else its URL. */
  protected targetUrl(applicationId: string, url: string): string {
    const d = this.deployment();
    const live = d?.live?.services.find((x) => x.application_id === applicationId)?.url;
    if (live) return absolute(live)!;
    const target = d?.targets.find((t) => t.application_id === applicationId);
    return absolute(d?.module_slug && isLocalRun(target?.external_id) ? viaPreview(d.module_slug, applicationId, url) : url)!;
  }
  /** A target's own live link: not when its service is known not to answer. */
  protected targetLive(applicationId: string): boolean {
    const s = this.deployment()?.live?.services.find((x) => x.application_id === applicationId);
    return !s || s.state === 'running';
  }
  /** Each application's commit (the deployment's own when it has no targets). */
  protected readonly commits = computed(() => {
    const d = this.deployment();
    if (!d) return [];
    const own = d.targets.filter((t) => t.commit_sha).map((t) => ({ application: t.application_id as string | null, sha: t.commit_sha }));
    return own.length ? own : [{ application: null, sha: d.commit_sha }];
  });

  constructor() {
    const id = this.data.deploymentId;
    this.deployments.watch(id);
    const timer = setInterval(() => {
      if (!this.terminal()) this.now.set(Date.now());
    }, 1000);
    inject(DestroyRef).onDestroy(() => {
      clearInterval(timer);
      this.deployments.unwatch(id);
      this.watchers.unwatch(id);
    });
    void this.reload();

    // Per-application logs come with the history: fetch it again, at most one request at a time,
    // while broadcasts move the deployment past the last snapshot.
    const fetching = signal(false);
    effect(() => {
      const d = this.deployment();
      if (!d || d.targets.length < 2 || fetching() || (d.logsBySequence ?? 0) >= d.sequence) return;
      fetching.set(true);
      setTimeout(() => {
        // After an error it stays off (no retry loop); reload() and resyncs still fetch in full.
        this.deployments.refresh(id).then(
          () => fetching.set(false),
          () => undefined,
        );
      }, 300);
    });

    afterRenderEffect(() => {
      this.logs().length;
      this.logApp();
      const box = this.logBox()?.nativeElement;
      if (box) this.followBottom(box);
    });
    // The box narrows when the dialog does (or when the dialog's own scrollbar appears): its lines
    // wrap again and grow taller, which would push the last ones out of view without a new line.
    effect((onCleanup) => {
      const box = this.logBox()?.nativeElement;
      if (!box || typeof ResizeObserver === 'undefined') return;
      const observer = new ResizeObserver(() => this.followBottom(box));
      observer.observe(box);
      onCleanup(() => observer.disconnect());
    });
  }

  async reload(): Promise<void> {
    this.loading.set(true);
    try {
      await this.deployments.refresh(this.data.deploymentId);
      this.problem.set(null);
    } catch (err) {
      this.problem.set(apiProblem(err).message);
    } finally {
      this.loading.set(false);
    }
  }

  /** Keeps the log at its last line unless the reader scrolled up. */
  private followBottom(box: HTMLElement): void {
    if (!this.stickToBottom) return;
    box.scrollTop = box.scrollHeight;
    this.autoScrollTop = box.scrollTop;
  }

  protected onLogScroll(box: HTMLElement): void {
    if (box.scrollTop === this.autoScrollTop) return;
    this.stickToBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
  }

  protected copyLogs(): void {
    const ok = this.clipboard.copy(this.logs().join('\n'));
    this.snackBar.open(ok ? 'Log copied to the clipboard' : 'Could not copy; select the text instead', undefined, { duration: 2500 });
  }

  protected shortSha(sha: string | null | undefined): string {
    return sha ? sha.slice(0, 7) : '—';
  }

  protected async cancel(): Promise<void> {
    await this.control(() => this.deployments.cancel(this.data.deploymentId), 'Deployment cancelled');
  }

  /** Starts the stopped services again; the dialog asks again until they answer (or 30 s). */
  protected async startServices(): Promise<void> {
    const slug = this.deployment()?.module_slug;
    if (!slug) return;
    await this.control(() => this.deployments.startServices(slug), 'Starting the live module');
    for (let i = 0; i < 15 && this.liveState() === 'starting'; i++) {
      await new Promise((r) => setTimeout(r, 2000));
      await this.reload();
    }
  }

  /** A NEW deployment of the failed applications: the dialog moves to it. */
  protected async retry(): Promise<void> {
    await this.control(async () => this.statusDialog.open(await this.deployments.retry(this.data.deploymentId)), 'Retry started');
  }

  /** Rollback to this deployment: a NEW deployment of what it ran; the dialog moves to it. */
  protected async rollBack(): Promise<void> {
    const slug = this.deployment()?.module_slug;
    if (!slug) return;
    await this.control(async () => this.statusDialog.open(await this.deployments.rollback(slug, this.data.deploymentId)), 'Rollback started');
  }

  private async control(run: () => Promise<unknown>, done: string): Promise<void> {
    this.busy.set(true);
    try {
      await run();
      this.snackBar.open(done, undefined, { duration: 3000 });
    } catch (err) {
      this.snackBar.open(apiProblem(err).message, 'OK', { duration: 8000 });
    } finally {
      this.busy.set(false);
    }
  }
}

/** A preview's path (`/preview/…`) as a full URL on this page's origin: a link to copy or share. */
function absolute(url: string | null): string | null {
  return url?.startsWith('/') ? new URL(url, globalThis.location?.origin ?? 'http://localhost').href : url;
}

/** A target the local runner deployed (its CI id is `local-<app>-<sha7>…`, docs/runner.md). */
const isLocalRun = (externalId: string | null | undefined) => Boolean(externalId?.startsWith('local-'));

/**
 * A local runner's loopback service URL (`http://127.0.0.1:<port>/api/x`) as its preview's path
 * (`/preview/<slug>/<app>/api/x`, docs/previews.md); any other URL as it is.
 */
export function viaPreview(slug: string, applicationId: string, url: string | null): string | null {
  if (!url) return url;
  try {
    const u = new URL(url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname)) return url;
    return `/preview/${encodeURIComponent(slug)}/${encodeURIComponent(applicationId)}${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}
