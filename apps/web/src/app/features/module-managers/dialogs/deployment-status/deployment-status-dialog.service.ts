import { Injectable, inject } from '@angular/core';
import { MatDialog, type MatDialogRef } from '@angular/material/dialog';
import { Router } from '@angular/router';
import { DeploymentStatusComponent, type DeploymentStatusData } from './deployment-status.component';

/** The query parameter that names the open dialog, so a reload (or a shared link) reopens it. */
export const DEPLOYMENT_PARAM = 'deployment';

/** Opens the deployment status dialog (one at a time) and keeps `?deployment=<id>` in the URL. */
@Injectable({ providedIn: 'root' })
export class DeploymentStatusDialog {
  private readonly dialog = inject(MatDialog);
  private readonly router = inject(Router);
  private ref: MatDialogRef<DeploymentStatusComponent> | null = null;
  private openId: string | null = null;

  isOpen(id?: string): boolean {
    return this.ref !== null && (id === undefined || this.openId === id);
  }

  open(deploymentId: string): MatDialogRef<DeploymentStatusComponent> {
    if (this.ref && this.openId === deploymentId) return this.ref;
    this.ref?.close();
    const ref = this.dialog.open<DeploymentStatusComponent, DeploymentStatusData>(DeploymentStatusComponent, {
      data: { deploymentId },
      width: '780px',
      maxWidth: '96vw',
      maxHeight: '94vh',
      autoFocus: 'dialog',
      closeOnNavigation: false,
      ariaLabelledBy: 'deployment-status-title',
    });
    this.ref = ref;
    this.openId = deploymentId;
    void this.router.navigate([], { queryParams: { [DEPLOYMENT_PARAM]: deploymentId }, queryParamsHandling: 'merge', replaceUrl: true });
    ref.afterClosed().subscribe(() => {
      if (this.ref !== ref) return;
      this.ref = null;
      this.openId = null;
      if (this.router.routerState.snapshot.root.queryParamMap.get(DEPLOYMENT_PARAM) === deploymentId) {
        void this.router.navigate([], { queryParams: { [DEPLOYMENT_PARAM]: null }, queryParamsHandling: 'merge', replaceUrl: true });
      }
    });
    return ref;
  }

  close(): void {
    this.ref?.close();
  }
}
