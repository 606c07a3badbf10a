import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';

export interface ConfirmDeleteData {
  name: string;
  slug: string;
  /** The module's branch and the applications it was pushed to; absent for a module without git. */
  branch?: { name: string; applications: string[] };
}

/** What the user confirmed; afterClosed() answers false (or undefined) when they did not. */
export interface ConfirmDeleteResult {
  deleteBranches: boolean;
}

/** Asks before deleting a module, and whether its branches go too (unticked: they stay). */
@Component({
  selector: 'app-confirm-delete',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatDialogModule, MatButtonModule, MatCheckboxModule],
  template: `
    <h2 mat-dialog-title>Delete “{{ data.name }}”?</h2>
    <mat-dialog-content>
      <p>The module definition <code>{{ data.slug }}</code> is removed from Slipway and the services it runs on
        Slipway's local runner are stopped. Its deployments stay in the history.</p>
      @if (data.branch; as b) {
        <mat-checkbox data-testid="delete-branches" [checked]="deleteBranches()" (change)="deleteBranches.set($event.checked)">
          Also delete the branch <code>{{ b.name }}</code> in {{ b.applications.join(', ') }}
        </mat-checkbox>
      }
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-button type="button" [mat-dialog-close]="false" cdkFocusInitial>Cancel</button>
      <button mat-flat-button type="button" data-testid="confirm-delete" [mat-dialog-close]="result()">Delete</button>
    </mat-dialog-actions>
  `,
})
export class ConfirmDeleteComponent {
  protected readonly data = inject<ConfirmDeleteData>(MAT_DIALOG_DATA);
  protected readonly deleteBranches = signal(false);
  protected result(): ConfirmDeleteResult {
    return { deleteBranches: this.deleteBranches() };
  }
}
