import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatChipsModule } from '@angular/material/chips';
import { MatDialog } from '@angular/material/dialog';
import { MatIconModule } from '@angular/material/icon';
import { MatMenuModule } from '@angular/material/menu';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { RouterLink } from '@angular/router';
import { apiProblem } from '../../../../core/api-error';
import { DeploymentService } from '../../../../core/deployment.service';
import { type ModuleView, ModuleGeneratorService } from '../../../../core/module-generator.service';
import { StatusChipComponent } from '../../../../shared/status-chip.component';
import { ConfirmDeleteComponent, type ConfirmDeleteData, type ConfirmDeleteResult } from '../../dialogs/confirm-delete/confirm-delete.component';
import { DeploymentStatusDialog } from '../../dialogs/deployment-status/deployment-status-dialog.service';
import { plural } from '../../../../shared/plural';

/** The modules, each with the live status of its latest deployment. */
@Component({
  selector: 'app-module-managers-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DatePipe, RouterLink, MatTableModule, MatButtonModule, MatIconModule, MatChipsModule, MatMenuModule, MatProgressBarModule, StatusChipComponent],
  templateUrl: './module-managers-page.component.html',
  styleUrl: './module-managers-page.component.scss',
})
export class ModuleManagersPageComponent {
  private readonly modulesApi = inject(ModuleGeneratorService);
  private readonly deployments = inject(DeploymentService);
  private readonly statusDialog = inject(DeploymentStatusDialog);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);

  protected readonly plural = plural;
  protected readonly columns = ['name', 'applications', 'status', 'updated', 'actions'];
  protected readonly modules = signal<ModuleView[]>([]);
  protected readonly loading = signal(true);
  protected readonly problem = signal<string | null>(null);

  /** Modules with their newest deployment, live: events update it without a refetch. */
  protected readonly rows = computed(() =>
    this.modules().map((m) => ({ module: m, deployment: this.deployments.latestOf(m.slug, m.latest_deployment) })),
  );

  constructor() {
    void this.reload();
  }

  protected async reload(): Promise<void> {
    this.loading.set(true);
    try {
      const list = await this.modulesApi.list();
      for (const m of list) if (m.latest_deployment) this.deployments.apply(m.latest_deployment, 'snapshot');
      this.modules.set(list);
      this.problem.set(null);
    } catch (err) {
      this.problem.set(apiProblem(err).message);
    } finally {
      this.loading.set(false);
    }
  }

  protected openDeployment(id: string): void {
    this.statusDialog.open(id);
  }

  /** A NEW deployment of the module's current commits, shown at once in its dialog. */
  protected async redeploy(m: ModuleView): Promise<void> {
    try {
      this.statusDialog.open(await this.deployments.redeploy(m.slug));
    } catch (err) {
      this.snackBar.open(`Could not redeploy '${m.slug}': ${apiProblem(err).message}`, 'OK', { duration: 8000 });
    }
  }

  /** Starts the module's stopped services again (its latest deployment succeeded; Slipway runs them). */
  protected async start(m: ModuleView): Promise<void> {
    try {
      await this.deployments.startServices(m.slug);
      this.snackBar.open(`Starting '${m.slug}'`, undefined, { duration: 3000 });
    } catch (err) {
      this.snackBar.open(`Could not start '${m.slug}': ${apiProblem(err).message}`, 'OK', { duration: 8000 });
    }
  }

  protected remove(m: ModuleView): void {
    this.dialog
      .open<ConfirmDeleteComponent, ConfirmDeleteData, ConfirmDeleteResult | false>(ConfirmDeleteComponent, { data: deleteDialogData(m) })
      .afterClosed()
      .subscribe(async (ok) => {
        if (!ok) return;
        try {
          const deleted = await this.modulesApi.remove(m.slug, ok);
          this.modules.update((list) => list.filter((x) => x.slug !== m.slug));
          const which = deleted.length ? ` (${deleted.map((b) => `${b.application}: ${b.branch}`).join(', ')})` : '';
          this.snackBar.open(`Module '${m.slug}' deleted${ok.deleteBranches ? ` with its branches${which}` : ''}`, undefined, { duration: 5000 });
        } catch (err) {
          this.snackBar.open(`Could not delete '${m.slug}': ${apiProblem(err).message}`, 'OK', { duration: 8000 });
        }
      });
  }
}

/** The delete dialog's question: the branch is offered only for a module Slipway pushed. */
export function deleteDialogData(m: ModuleView): ConfirmDeleteData {
  const branch = m.git.enabled && m.git.branchName ? { name: m.git.branchName, applications: m.applications } : undefined;
  return { name: m.name, slug: m.slug, branch };
}
