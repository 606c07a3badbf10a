import { Clipboard } from '@angular/cdk/clipboard';
import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, inject, signal } from '@angular/core';
import { FormGroupDirective, NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatDialog } from '@angular/material/dialog';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import { MatTooltipModule } from '@angular/material/tooltip';
import { API_TOKEN_NAME_MAX } from '@slipway/contracts';
import { type ApiToken, type CreatedApiToken, TokenService } from '../../core/token.service';
import { busyCall } from '../../shared/busy-call';
import { confirmAction } from '../../shared/confirm-dialog.component';

/** The signed-in user's personal access tokens: list, create (shown once), revoke. */
@Component({
  selector: 'app-tokens-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [
    DatePipe,
    ReactiveFormsModule,
    MatButtonModule,
    MatCardModule,
    MatFormFieldModule,
    MatIconModule,
    MatInputModule,
    MatProgressBarModule,
    MatSelectModule,
    MatTableModule,
    MatTooltipModule,
  ],
  template: `
    <section class="page">
      <h1>Access tokens</h1>
      <p class="hint">
        A token acts as you for scripts, CI and git over HTTP: send it as <code>Authorization: Bearer &lt;token&gt;</code>.
        Changing your password revokes every token.
      </p>

      @if (created(); as c) {
        <mat-card appearance="outlined" class="created" data-testid="new-token">
          <mat-card-content>
            <p role="status"><strong>Copy the token “{{ c.name }}” now.</strong> It will not be shown again.</p>
            <div class="secret">
              <code data-testid="new-token-value">{{ c.token }}</code>
              <button mat-icon-button type="button" (click)="copy(c.token)" aria-label="Copy the token" matTooltip="Copy">
                <mat-icon>content_copy</mat-icon>
              </button>
            </div>
          </mat-card-content>
          <mat-card-actions align="end">
            <button mat-button type="button" (click)="created.set(null)">Done</button>
          </mat-card-actions>
        </mat-card>
      }

      <form [formGroup]="form" #formDir="ngForm" (ngSubmit)="create(formDir)" class="create" novalidate aria-label="New token">
        <mat-form-field appearance="outline">
          <mat-label>Name</mat-label>
          <input matInput formControlName="name" [maxlength]="nameMax" placeholder="laptop, CI, …" required />
          @if (form.controls.name.hasError('required')) { <mat-error>Give the token a name</mat-error> }
        </mat-form-field>
        <mat-form-field appearance="outline">
          <mat-label>Expires</mat-label>
          <mat-select formControlName="expiresInDays">
            @for (o of expiries; track o.label) { <mat-option [value]="o.days">{{ o.label }}</mat-option> }
          </mat-select>
        </mat-form-field>
        <button mat-flat-button type="submit" [disabled]="busy()"><mat-icon>add</mat-icon>Create token</button>
      </form>

      @if (busy()) { <mat-progress-bar mode="indeterminate" aria-label="Working" /> }
      @if (error(); as e) { <p class="problem" role="alert" data-testid="tokens-error">{{ e }}</p> }

      @if (tokens.tokens().length) {
        <div class="table-wrap">
        <table mat-table [dataSource]="tokens.tokens()" aria-label="Your tokens">
          <ng-container matColumnDef="name">
            <th mat-header-cell *matHeaderCellDef>Name</th>
            <td mat-cell *matCellDef="let t">{{ t.name }}</td>
          </ng-container>
          <ng-container matColumnDef="created">
            <th mat-header-cell *matHeaderCellDef>Created</th>
            <td mat-cell *matCellDef="let t">{{ t.created_at | date: 'medium' }}</td>
          </ng-container>
          <ng-container matColumnDef="lastUsed">
            <th mat-header-cell *matHeaderCellDef>Last used</th>
            <td mat-cell *matCellDef="let t">{{ t.last_used_at ? (t.last_used_at | date: 'medium') : 'never' }}</td>
          </ng-container>
          <ng-container matColumnDef="expires">
            <th mat-header-cell *matHeaderCellDef>Expires</th>
            <td mat-cell *matCellDef="let t" [class.expired]="expired(t)">
              {{ t.expires_at ? (expired(t) ? 'expired ' : '') + (t.expires_at | date: 'mediumDate') : 'never' }}
            </td>
          </ng-container>
          <ng-container matColumnDef="revoke">
            <th mat-header-cell *matHeaderCellDef><span class="cdk-visually-hidden">Revoke</span></th>
            <td mat-cell *matCellDef="let t">
              <button mat-button type="button" (click)="revoke(t)" [attr.aria-label]="'Revoke ' + t.name" data-testid="revoke">
                <mat-icon>delete</mat-icon><span class="label">Revoke</span>
              </button>
            </td>
          </ng-container>
          <tr mat-header-row *matHeaderRowDef="columns"></tr>
          <tr mat-row *matRowDef="let row; columns: columns" data-testid="token-row"></tr>
        </table>
        </div>
      } @else if (loaded()) {
        <p class="empty">No tokens yet.</p>
      }
    </section>
  `,
  styles: `
    .page { max-width: 960px; margin: 0 auto; padding: 24px 16px; }
    h1 { font: var(--mat-sys-headline-small); margin: 0 0 8px; }
    .hint { color: var(--mat-sys-on-surface-variant); margin: 0 0 16px; }
    .created { margin-bottom: 16px; border-color: var(--mat-sys-primary); }
    .secret { display: flex; align-items: center; gap: 8px; }
    .secret code { flex: 1; overflow-wrap: anywhere; padding: 8px; background: var(--mat-sys-surface-container); border-radius: 4px; }
    .create { display: flex; flex-wrap: wrap; gap: 12px; align-items: baseline; }
    .create mat-form-field { flex: 1 1 220px; }
    .problem { color: var(--mat-sys-error); }
    .expired { color: var(--mat-sys-error); }
    .table-wrap { overflow-x: auto; margin-top: 8px; }
    table { width: 100%; }
    @media (max-width: 599px) {
      .mat-column-created, .label { display: none; }
    }
  `,
})
export class TokensPage {
  protected readonly tokens = inject(TokenService);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly clipboard = inject(Clipboard);

  protected readonly nameMax = API_TOKEN_NAME_MAX;
  protected readonly columns = ['name', 'created', 'lastUsed', 'expires', 'revoke'];
  protected readonly expiries: { label: string; days: number | null }[] = [
    { label: '7 days', days: 7 },
    { label: '30 days', days: 30 },
    { label: '90 days', days: 90 },
    { label: '1 year', days: 365 },
    { label: 'Never', days: null },
  ];
  protected readonly form = inject(NonNullableFormBuilder).group({
    name: ['', [Validators.required, Validators.maxLength(API_TOKEN_NAME_MAX)]],
    expiresInDays: [90 as number | null],
  });
  protected readonly busy = signal(false);
  protected readonly loaded = signal(false);
  protected readonly error = signal<string | null>(null);
  /** The token just created: its value is shown here once, never again. */
  protected readonly created = signal<CreatedApiToken | null>(null);
  protected readonly expired = (t: ApiToken) => TokenService.isExpired(t);

  constructor() {
    void this.run(() => this.tokens.load()).finally(() => this.loaded.set(true));
  }

  protected async create(formDir: FormGroupDirective): Promise<void> {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    const { name, expiresInDays } = this.form.getRawValue();
    const created = await this.run(() => this.tokens.create({ name: name.trim(), ...(expiresInDays ? { expiresInDays } : {}) }));
    if (created) {
      this.created.set(created);
      // resetForm, not reset: it also forgets the submit, so the emptied name is not shown as an error.
      formDir.resetForm({ name: '', expiresInDays });
    }
  }

  protected async revoke(t: ApiToken): Promise<void> {
    const text = 'Anything using this token (scripts, CI, git) is refused from now on. This cannot be undone.';
    if (!(await confirmAction(this.dialog, { title: `Revoke “${t.name}”?`, text, action: 'Revoke', testId: 'confirm-revoke' }))) return;
    if (await this.run(async () => (await this.tokens.revoke(t.id), true))) this.snackBar.open(`Token “${t.name}” revoked`, undefined, { duration: 4000 });
  }

  protected copy(token: string): void {
    const ok = this.clipboard.copy(token);
    this.snackBar.open(ok ? 'Token copied' : 'Could not copy: select it and copy it by hand', undefined, { duration: 4000 });
  }

  /** Runs one API call with the busy flag; a failure is shown on the page and answers undefined. */
  private run<T>(call: () => Promise<T>): Promise<T | undefined> {
    return busyCall(this.busy, this.error, call);
  }
}
