import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { toObservable, takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { FormsModule } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatSlideToggleModule } from '@angular/material/slide-toggle';
import { MatTableModule } from '@angular/material/table';
import { debounceTime, skip } from 'rxjs';
import { apiProblem } from '../../core/api-error';
import { DeploymentService, type TrackedDeployment } from '../../core/deployment.service';
import { DEPLOYMENT_STATUSES, type DeploymentStatus, ciNote, headline, isTerminal, statusLabel } from '../../core/deployment-status';
import { WebsocketService } from '../../core/websocket.service';
import { StatusChipComponent } from '../../shared/status-chip.component';
import { DeploymentStatusDialog } from '../module-managers/dialogs/deployment-status/deployment-status-dialog.service';

/** Active and recent deployments, live, filterable; each row opens its status dialog. */
@Component({
  selector: 'app-deployments-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    DatePipe,
    FormsModule,
    MatTableModule,
    MatFormFieldModule,
    MatInputModule,
    MatSelectModule,
    MatSlideToggleModule,
    MatButtonModule,
    MatIconModule,
    MatProgressBarModule,
    StatusChipComponent,
  ],
  templateUrl: './deployments.page.html',
  styleUrl: './deployments.page.scss',
})
export class DeploymentsPage {
  protected readonly deployments = inject(DeploymentService);
  protected readonly ws = inject(WebsocketService);
  private readonly dialog = inject(DeploymentStatusDialog);

  protected readonly statuses = DEPLOYMENT_STATUSES;
  protected readonly statusLabel = statusLabel;
  protected readonly headline = headline;
  protected readonly ciNote = ciNote;
  protected readonly columns = ['status', 'module', 'branch', 'progress', 'started', 'open'];

  protected readonly status = signal<DeploymentStatus | null>(null);
  protected readonly module = signal('');
  protected readonly activeOnly = signal(false);
  protected readonly loaded = signal(false);

  protected readonly rows = computed(() => {
    const status = this.status();
    const q = this.module().trim().toLowerCase();
    const activeOnly = this.activeOnly();
    return this.deployments
      .all()
      .filter((d) => (!status || d.status === status) && (!activeOnly || !isTerminal(d.status)))
      .filter((d) => !q || (d.module_slug ?? '').toLowerCase().includes(q) || (d.branch_name ?? '').toLowerCase().includes(q));
  });
  /** Each module's newest deployment here: a successful OLDER one offers "Roll back to this". */
  private readonly newest = computed(() => {
    const m = new Map<string, string>();
    for (const d of this.deployments.all()) {
      const have = m.get(d.module_slug ?? '');
      if (d.module_slug && (!have || Number(d.deployment_id) > Number(have))) m.set(d.module_slug, d.deployment_id);
    }
    return m;
  });
  protected readonly rollingBack = signal<string | null>(null);
  protected readonly rollbackProblem = signal<string | null>(null);
  protected readonly filtered = computed(() => this.status() !== null || this.module().trim() !== '' || this.activeOnly());

  constructor() {
    void this.reload();
    // Server-side filtering too, so older matches beyond the newest page appear.
    toObservable(computed(() => [this.status(), this.module().trim()] as const))
      .pipe(skip(1), debounceTime(300), takeUntilDestroyed())
      .subscribe(() => void this.reload());
  }

  protected async reload(): Promise<void> {
    try {
      await this.deployments.load({ status: this.status(), module: this.module().trim() || null });
    } catch {
      /* shown from deployments.problem() */
    } finally {
      this.loaded.set(true);
    }
  }

  protected open(id: string): void {
    this.dialog.open(id);
  }

  protected canRollBack(d: TrackedDeployment): boolean {
    return d.status === 'success' && !!d.module_slug && this.newest().get(d.module_slug) !== d.deployment_id;
  }

  /** Rollback (docs/web.md): a new deployment of what `d` ran; its status dialog follows it live. */
  protected async rollBack(d: TrackedDeployment): Promise<void> {
    if (!d.module_slug || !confirm(`Roll '${d.module_slug}' back to deployment ${d.deployment_id}? Its commits are deployed again as a new deployment.`)) return;
    this.rollingBack.set(d.deployment_id);
    this.rollbackProblem.set(null);
    try {
      this.dialog.open(await this.deployments.rollback(d.module_slug, d.deployment_id));
    } catch (err) {
      this.rollbackProblem.set(apiProblem(err).message);
    } finally {
      this.rollingBack.set(null);
    }
  }

  protected clearFilters(): void {
    this.status.set(null);
    this.module.set('');
    this.activeOnly.set(false);
  }
}
