import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MAT_DIALOG_DATA, MatDialogModule } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { apiProblem } from '../../../../core/api-error';
import { type BranchView, ModuleGeneratorService } from '../../../../core/module-generator.service';

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

/**
 * Asks before deleting a module, and whether its branches go too (unticked: they stay). For a git
 * module it asks the server which branches exist now (`GET /api/admin/modules/{slug}/branches`)
 * and names each, per application, with the commit it points to: those are what ticking deletes.
 */
@Component({
  selector: 'app-confirm-delete',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatDialogModule, MatButtonModule, MatCheckboxModule, MatProgressBarModule],
  template: `
    <h2 mat-dialog-title>Delete “{{ data.name }}”?</h2>
    <mat-dialog-content>
      <p>The module definition <code>{{ data.slug }}</code> is removed from Slipway and the services it runs on
        Slipway's local runner are stopped. Its deployments stay in the history.</p>
      @if (data.branch; as b) {
        <mat-checkbox data-testid="delete-branches" [checked]="deleteBranches()" (change)="deleteBranches.set($event.checked)">
          Also delete the branch <code>{{ b.name }}</code> in {{ b.applications.join(', ') }}
        </mat-checkbox>
        @if (branches() === null && !branchesProblem()) {
          <mat-progress-bar mode="indeterminate" aria-label="Looking up the module's branches" />
        } @else if (branchesProblem(); as p) {
          <p class="hint" data-testid="delete-branches-problem">Could not list the branches ({{ p }}); ticked, Slipway deletes
            <code>{{ b.name }}</code> wherever it still exists.</p>
        } @else if (branches(); as list) {
          @if (list.length) {
            <p class="lead" [class.going]="deleteBranches()">{{ deleteBranches() ? 'These branches will be deleted:' : 'These branches exist (kept unless ticked):' }}</p>
            <ul class="branches" data-testid="delete-branch-list">
              @for (x of list; track x.application) {
                <li [attr.data-application]="x.application"><strong>{{ x.application }}</strong>: <code>{{ x.branch }}</code>&nbsp;<span class="hint">at {{ x.commit.slice(0, 7) }}</span></li>
              }
            </ul>
          } @else {
            <p class="hint" data-testid="delete-branch-list">No branch of this module exists now: there is nothing to delete in git.</p>
          }
        }
      }
    </mat-dialog-content>
    <mat-dialog-actions align="end">
      <button mat-button type="button" [mat-dialog-close]="false" cdkFocusInitial>Cancel</button>
      <button mat-flat-button type="button" data-testid="confirm-delete" [mat-dialog-close]="result()">Delete</button>
    </mat-dialog-actions>
  `,
  styles: `
    .hint { color: var(--mat-sys-on-surface-variant); font: var(--mat-sys-body-small); }
    .lead { margin: 8px 0 4px; }
    .lead.going { color: var(--mat-sys-error); }
    .branches { margin: 0; padding-left: 20px; overflow-wrap: anywhere; }
  `,
})
export class ConfirmDeleteComponent {
  protected readonly data = inject<ConfirmDeleteData>(MAT_DIALOG_DATA);
  private readonly api = inject(ModuleGeneratorService);
  protected readonly deleteBranches = signal(false);
  /** The module's branches that exist now; null while asked (or for a module without git). */
  protected readonly branches = signal<BranchView[] | null>(null);
  protected readonly branchesProblem = signal<string | null>(null);

  constructor() {
    if (this.data.branch) {
      this.api.branches(this.data.slug).then(
        (list) => this.branches.set(list),
        (err) => this.branchesProblem.set(apiProblem(err).message),
      );
    }
  }

  protected result(): ConfirmDeleteResult {
    return { deleteBranches: this.deleteBranches() };
  }
}
