import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';

export interface ConfirmRevokeData {
  name: string;
}

/** Asks before revoking a token; answers true in afterClosed() when confirmed. */
@Component({
  selector: 'app-confirm-revoke',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatDialogModule, MatButtonModule],
  template: `
    <h2 mat-dialog-title>Revoke “{{ data.name }}”?</h2>
    <mat-dialog-content>
      <p>Anything using this token (scripts, CI, git) is refused from now on. This cannot be undone.</p>
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-button type="button" [mat-dialog-close]="false" cdkFocusInitial>Cancel</button>
      <button mat-flat-button type="button" [mat-dialog-close]="true" data-testid="confirm-revoke">Revoke</button>
    </mat-dialog-actions>
  `,
})
export class ConfirmRevokeComponent {
  protected readonly data = inject<ConfirmRevokeData>(MAT_DIALOG_DATA);
}
