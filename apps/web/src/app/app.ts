import { ChangeDetectionStrategy, Component, DestroyRef, computed, effect, inject, untracked } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatBadgeModule } from '@angular/material/badge';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatMenuModule } from '@angular/material/menu';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatToolbarModule } from '@angular/material/toolbar';
import { MatTooltipModule } from '@angular/material/tooltip';
import { NavigationEnd, Router, RouterLink, RouterLinkActive, RouterOutlet } from '@angular/router';
import { filter } from 'rxjs';
import { AuthService } from './core/auth.service';
import { DeploymentService } from './core/deployment.service';
import { headline, successMessage } from './core/deployment-status';
import { WebsocketService } from './core/websocket.service';
import {
  DEPLOYMENT_PARAM,
  DeploymentStatusDialog,
} from './features/module-managers/dialogs/deployment-status/deployment-status-dialog.service';

/** The shell: toolbar with navigation, live-connection indicator and account menu; the page below. */
@Component({
  selector: 'app-root',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [RouterOutlet, RouterLink, RouterLinkActive, MatToolbarModule, MatButtonModule, MatIconModule, MatMenuModule, MatTooltipModule, MatBadgeModule],
  templateUrl: './app.html',
  styleUrl: './app.scss',
})
export class App {
  protected readonly auth = inject(AuthService);
  protected readonly ws = inject(WebsocketService);
  protected readonly deployments = inject(DeploymentService);
  private readonly dialog = inject(DeploymentStatusDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly router = inject(Router);

  protected readonly connection = computed(() => {
    switch (this.ws.state()) {
      case 'connected':
        return { icon: 'sensors', label: 'Live', hint: 'Receiving deployment updates as they happen' };
      case 'connecting':
        return { icon: 'sync', label: 'Connecting…', hint: 'Opening the live connection' };
      case 'reconnecting':
        return { icon: 'sync_problem', label: 'Reconnecting…', hint: this.ws.problem() ?? 'Live connection lost; retrying' };
      case 'failed':
        return { icon: 'cloud_off', label: 'Offline', hint: this.ws.problem() ?? 'No live updates' };
      default:
        return { icon: 'cloud_off', label: 'Offline', hint: 'Not connected' };
    }
  });

  constructor() {
    // One live connection per signed-in user; nothing when signed out.
    effect(() => {
      const user = this.auth.user();
      untracked(() => {
        if (user) void this.ws.connect(user);
        else {
          this.ws.disconnect();
          this.deployments.clear();
          this.dialog.close();
        }
      });
    });

    // A deployment ended while nobody was looking at it: say so, with a way to look.
    this.deployments.finished.pipe(takeUntilDestroyed()).subscribe((d) => {
      if (this.dialog.isOpen(d.deployment_id)) return;
      const name = d.module_slug ?? `#${d.deployment_id}`;
      const text =
        d.status === 'success' && d.module_slug ? successMessage(d.module_slug) : `Deployment of ${name} ${d.status}: ${headline(d)}`;
      this.snackBar
        .open(text, 'View', { duration: 8000, panelClass: d.status === 'success' ? 'snack-success' : 'snack-failed' })
        .onAction()
        .subscribe(() => this.dialog.open(d.deployment_id));
    });

    // `?deployment=<id>` in the URL (a reload mid-deployment, a shared link) opens its dialog.
    this.router.events
      .pipe(filter((e) => e instanceof NavigationEnd), takeUntilDestroyed(inject(DestroyRef)))
      .subscribe(() => {
        const id = this.router.routerState.snapshot.root.queryParamMap.get(DEPLOYMENT_PARAM);
        if (id && /^\d{1,15}$/.test(id) && this.auth.user() && !this.dialog.isOpen(id)) this.dialog.open(id);
        else if (!id && this.dialog.isOpen()) this.dialog.close();
      });
  }

  protected async signOut(): Promise<void> {
    try {
      await this.auth.signOut();
    } finally {
      await this.router.navigate(['/sign-in']);
    }
  }
}
