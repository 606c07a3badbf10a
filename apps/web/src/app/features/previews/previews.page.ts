import { DatePipe } from '@angular/common';
import { HttpClient } from '@angular/common/http';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatIconModule } from '@angular/material/icon';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import { MatTableModule } from '@angular/material/table';
import type { PreviewView, PromoteResponse, PromoteResult } from '@slipway/contracts';
import { firstValueFrom } from 'rxjs';
import { apiProblem } from '../../core/api-error';
import { busyCall } from '../../shared/busy-call';
import { confirmAction, type ConfirmDialogData } from '../../shared/confirm-dialog.component';

/** How long ago, in words (`3 h`, `2 d`). */
export function age(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/**
 * Preview environments (docs/previews.md): each module's preview per application, its state and
 * age; Tear down (`DELETE /api/admin/previews/{slug}`) and Promote
 * (`POST /api/admin/modules/{slug}/promote`: a pull request on GitHub, a merge on a hosted
 * repository, both after a confirmation).
 */
@Component({
  selector: 'app-previews-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DatePipe, MatButtonModule, MatIconModule, MatProgressBarModule, MatTableModule],
  template: `
    <section class="page">
      <h1>Previews</h1>
      <p class="hint">
        Each module runs in a preview per application from its first successful deployment; each deployment renews it.
        It is torn down when the module is deleted or promoted, or after {{ ttlText() }} without a deployment.
      </p>
      @if (busy()) { <mat-progress-bar mode="indeterminate" aria-label="Working" /> }
      @if (error(); as e) { <p class="problem" role="alert" data-testid="previews-error">{{ e }}</p> }
      @if (promoted(); as p) {
        <p role="status" data-testid="promote-result">
          @for (r of p; track r.application_id) {
            @if (r.kind === 'pull_request') { {{ r.application_id }}: pull request <a [href]="r.url" target="_blank" rel="noopener">#{{ r.number }}</a>{{ r.existing ? ' (open already)' : '' }}. }
            @else if (r.kind === 'merged') { {{ r.application_id }}: merged ({{ r.fast_forward ? 'fast-forward' : 'merge commit' }} {{ r.commit?.slice(0, 7) }}). }
          }
        </p>
      }

      @if (rows().length) {
        <div class="table-wrap">
          <table mat-table [dataSource]="rows()" aria-label="Previews">
            <ng-container matColumnDef="module">
              <th mat-header-cell *matHeaderCellDef>Module</th>
              <td mat-cell *matCellDef="let p">{{ p.module_slug }}</td>
            </ng-container>
            <ng-container matColumnDef="app">
              <th mat-header-cell *matHeaderCellDef>Application</th>
              <td mat-cell *matCellDef="let p">{{ p.application_id }} <span class="kind">({{ p.kind }})</span></td>
            </ng-container>
            <ng-container matColumnDef="state">
              <th mat-header-cell *matHeaderCellDef>State</th>
              <td mat-cell *matCellDef="let p" [attr.data-state]="p.state" data-testid="preview-state">
                @if (p.state === 'active' && p.url) { <a [href]="p.url" target="_blank" rel="noopener" data-testid="preview-url">active</a> }
                @else { {{ p.state === 'torn_down' ? 'torn down' : p.state }} }
                @if (p.message) { <div class="why">{{ p.message }}</div> }
              </td>
            </ng-container>
            <ng-container matColumnDef="age">
              <th mat-header-cell *matHeaderCellDef>Age</th>
              <td mat-cell *matCellDef="let p" [title]="'created ' + (p.created_at | date: 'medium')">
                {{ ageOf(p.created_at) }}, deployed {{ ageOf(p.deployed_at) }} ago
                @if (p.expires_at) { <div class="why">expires {{ p.expires_at | date: 'short' }}</div> }
              </td>
            </ng-container>
            <ng-container matColumnDef="actions">
              <th mat-header-cell *matHeaderCellDef><span class="cdk-visually-hidden">Actions</span></th>
              <td mat-cell *matCellDef="let p">
                @if (p.state === 'active') {
                  <button mat-button type="button" (click)="tearDown(p)" [disabled]="busy()" data-testid="tear-down" [attr.aria-label]="'Tear down the previews of ' + p.module_slug">
                    <mat-icon>delete_sweep</mat-icon><span class="label">Tear down</span>
                  </button>
                }
                <button mat-button type="button" (click)="promote(p)" [disabled]="busy()" data-testid="promote" [attr.aria-label]="'Promote ' + p.module_slug">
                  <mat-icon>merge</mat-icon><span class="label">Promote</span>
                </button>
              </td>
            </ng-container>
            <tr mat-header-row *matHeaderRowDef="columns"></tr>
            <tr mat-row *matRowDef="let row; columns: columns" data-testid="preview-row"></tr>
          </table>
        </div>
      } @else if (loaded()) {
        <p class="empty">No previews yet: a module's first successful deployment makes one.</p>
      }
    </section>
  `,
  styles: `
    .page { max-width: 1100px; margin: 0 auto; padding: 24px 16px; }
    h1 { font: var(--mat-sys-headline-small); margin: 0 0 8px; }
    .hint, .kind, .why { color: var(--mat-sys-on-surface-variant); }
    .why { font: var(--mat-sys-body-small); }
    .problem { color: var(--mat-sys-error); }
    .table-wrap { overflow-x: auto; margin-top: 8px; }
    table { width: 100%; }
    @media (max-width: 599px) {
      .mat-column-age, .label { display: none; }
    }
  `,
})
export class PreviewsPage {
  private readonly http = inject(HttpClient);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);

  protected readonly columns = ['module', 'app', 'state', 'age', 'actions'];
  protected readonly rows = signal<PreviewView[]>([]);
  protected readonly busy = signal(false);
  protected readonly loaded = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly promoted = signal<PromoteResult[] | null>(null);
  protected readonly ttlText = computed(() => {
    const p = this.rows().find((r) => r.expires_at);
    if (!p) return 'its time to live';
    return `${Math.round((Date.parse(p.expires_at!) - Date.parse(p.deployed_at)) / 3_600_000)} hours`;
  });
  protected readonly ageOf = (iso: string) => age(iso);

  constructor() {
    void this.load().finally(() => this.loaded.set(true));
  }

  /** Reloads the list; keeps what an action said (its error stays shown). */
  private async load(): Promise<void> {
    try {
      this.rows.set((await firstValueFrom(this.http.get<{ data: PreviewView[] }>('/api/admin/previews'))).data);
    } catch (err) {
      this.error.set(apiProblem(err).message);
    }
  }

  protected async tearDown(p: PreviewView): Promise<void> {
    if (!(await this.confirm({ title: `Tear down the previews of “${p.module_slug}”?`, text: 'Its preview services stop (a Dokploy preview is deleted). The next deployment brings it back.', action: 'Tear down' }))) return;
    const r = await this.run(() => firstValueFrom(this.http.delete<{ torn_down: number }>(`/api/admin/previews/${encodeURIComponent(p.module_slug)}`)));
    if (r) this.snackBar.open(`${r.torn_down} preview${r.torn_down === 1 ? '' : 's'} of “${p.module_slug}” torn down`, undefined, { duration: 4000 });
    await this.load();
  }

  /** Promote: a first call says what would happen; a hosted repository's merge needs a second, confirmed one. */
  protected async promote(p: PreviewView): Promise<void> {
    if (!(await this.confirm({ title: `Promote “${p.module_slug}”?`, text: `GitHub applications get a pull request from ${p.branch}; a repository Slipway hosts merges ${p.branch} into its base branch now, and the preview is torn down.`, action: 'Promote' }))) return;
    const url = `/api/admin/modules/${encodeURIComponent(p.module_slug)}/promote`;
    let r = await this.run(() => firstValueFrom(this.http.post<PromoteResponse>(url, {})));
    if (r?.results.some((x) => x.kind === 'confirm')) r = await this.run(() => firstValueFrom(this.http.post<PromoteResponse>(url, { confirm: true })));
    if (r) this.promoted.set(r.results);
    await this.load();
  }

  private confirm(data: Omit<ConfirmDialogData, 'testId'>): Promise<boolean> {
    return confirmAction(this.dialog, { ...data, testId: 'confirm-preview-action' });
  }

  private run<T>(call: () => Promise<T>): Promise<T | undefined> {
    return busyCall(this.busy, this.error, call);
  }
}
