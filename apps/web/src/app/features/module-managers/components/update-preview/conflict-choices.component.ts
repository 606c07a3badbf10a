import { ChangeDetectionStrategy, Component, input, linkedSignal, output } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatIconModule } from '@angular/material/icon';
import { MatRadioModule } from '@angular/material/radio';
import type { ConflictResolution, FileConflict } from '@slipway/contracts';
import { CONFLICT_KIND_TEXT, RESOLUTION_CHOICES } from './update-diff';

/**
 * Shown when an update conflicts with edits on the module branch (the preview's conflicts, or the
 * save's 409): the conflicting files, and the four answers, each said in one line. Nothing was
 * saved or pushed; `choose` answers the person's choice, which the page sends as `onConflict`.
 */
@Component({
  selector: 'app-conflict-choices',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [MatRadioModule, MatButtonModule, MatIconModule],
  template: `
    <section class="conflicts" role="alert" aria-labelledby="conflicts-title" data-testid="conflict-choices">
      <h2 id="conflicts-title"><mat-icon aria-hidden="true">call_split</mat-icon>
        {{ conflicts().length === 1 ? '1 file conflicts' : conflicts().length + ' files conflict' }} with edits on the branch: nothing was saved or pushed</h2>
      <ul class="files" data-testid="conflict-files">
        @for (c of conflicts(); track c.application + c.path) {
          <li><strong>{{ c.application }}</strong>&nbsp;<code>{{ c.path }}</code>&nbsp;<span class="hint">— {{ kindText[c.kind] }}</span></li>
        }
      </ul>
      <mat-radio-group class="choices" aria-label="What to do with the conflicting files" [value]="choice()" (change)="choice.set($event.value)">
        @for (c of choices; track c.value) {
          <mat-radio-button [value]="c.value" [attr.data-testid]="'conflict-' + c.value">
            <span class="label">{{ c.label }}</span><span class="explain">{{ c.explain }}</span>
          </mat-radio-button>
        }
      </mat-radio-group>
      <div class="actions">
        <button mat-flat-button type="button" data-testid="conflict-confirm" [disabled]="!choice() || busy()" (click)="choose.emit(choice()!)">
          {{ choice() === 'cancel' ? 'Cancel the update' : 'Save and deploy with this choice' }}
        </button>
      </div>
    </section>
  `,
  styles: `
    .conflicts { border: 1px solid #d4a72c; background: #fff8e1; border-radius: 12px; padding: 12px 16px; }
    h2 { display: flex; gap: 8px; align-items: center; font: var(--mat-sys-title-medium); margin: 0 0 8px; }
    .files { margin: 0 0 8px; padding-left: 18px; overflow-wrap: anywhere; }
    .hint, .explain { color: var(--mat-sys-on-surface-variant); font: var(--mat-sys-body-small); }
    .choices { display: flex; flex-direction: column; gap: 2px; }
    .label { font: var(--mat-sys-label-large); margin-right: 8px; }
    .actions { display: flex; justify-content: flex-end; margin-top: 8px; }
  `,
})
export class ConflictChoicesComponent {
  readonly conflicts = input.required<readonly FileConflict[]>();
  /** The choice made so far (kept across a new 409), or none. */
  readonly initial = input<ConflictResolution | null>(null);
  readonly busy = input(false);
  readonly choose = output<ConflictResolution>();

  protected readonly choices = RESOLUTION_CHOICES;
  protected readonly kindText = CONFLICT_KIND_TEXT;
  protected readonly choice = linkedSignal<ConflictResolution | null>(() => this.initial());
}
