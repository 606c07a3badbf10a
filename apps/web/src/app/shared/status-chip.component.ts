import { ChangeDetectionStrategy, Component, computed, input } from '@angular/core';
import { MatIconModule } from '@angular/material/icon';
import { type DeploymentStatus, statusIcon, statusLabel } from '../core/deployment-status';

/** A deployment status as a small coloured pill with an icon; the word is always written out. */
@Component({
  selector: 'app-status-chip',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatIconModule],
  template: `<span class="chip" [class]="'chip s-' + status()" [attr.data-status]="status()">
    <mat-icon aria-hidden="true">{{ icon() }}</mat-icon>{{ label() }}</span>`,
  styles: `
    .chip { display: inline-flex; align-items: center; gap: 4px; padding: 2px 10px 2px 6px; border-radius: 12px;
            font: var(--mat-sys-label-large); white-space: nowrap; background: var(--mat-sys-surface-container-high); }
    mat-icon { font-size: 18px; width: 18px; height: 18px; }
    .s-building, .s-deploying { background: var(--mat-sys-secondary-container); color: var(--mat-sys-on-secondary-container); }
    .s-success { background: #c8f0d2; color: #0b4a1f; }
    .s-failed, .s-cancelled { background: var(--mat-sys-error-container); color: var(--mat-sys-on-error-container); }
  `,
})
export class StatusChipComponent {
  readonly status = input.required<DeploymentStatus>();
  protected readonly label = computed(() => statusLabel(this.status()));
  protected readonly icon = computed(() => statusIcon(this.status()));
}
