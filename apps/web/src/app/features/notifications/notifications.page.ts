import { HttpClient } from '@angular/common/http';
import { DatePipe } from '@angular/common';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatCheckboxModule } from '@angular/material/checkbox';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSelectModule } from '@angular/material/select';
// Types only: the contracts' zod schemas never reach the page's code.
import type { CreateNotificationChannel, CreatedNotificationChannel, ListResponse, NotificationChannel, NotificationEvent, NotificationKind } from '@slipway/contracts';
import { firstValueFrom } from 'rxjs';
import { apiProblem } from '../../core/api-error';
import { AuthService } from '../../core/auth.service';

const EVENTS: { id: NotificationEvent; label: string }[] = [
  { id: 'deployment.succeeded', label: 'Succeeded' },
  { id: 'deployment.failed', label: 'Failed' },
  { id: 'deployment.stuck', label: 'Stuck (failed by the watchdog)' },
  { id: 'deployment.rolled_back', label: 'Rolled back' },
];
const KINDS: { id: NotificationKind; label: string }[] = [
  { id: 'webhook', label: 'Webhook (Standard Webhooks signature)' },
  { id: 'slack', label: 'Slack incoming webhook' },
  { id: 'discord', label: 'Discord webhook' },
  { id: 'email', label: 'Email (SMTP)' },
];
const API = '/api/admin/notification-channels';

/** Notification channels (docs/notifications.md): list with their newest deliveries, create, delete. */
@Component({
  selector: 'app-notifications-page',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [DatePipe, ReactiveFormsModule, MatButtonModule, MatCardModule, MatCheckboxModule, MatFormFieldModule, MatIconModule, MatInputModule, MatProgressBarModule, MatSelectModule],
  template: `
    <section class="page">
      <div class="page-head">
        <h1>Notifications</h1>
        <button mat-stroked-button type="button" (click)="load()" [disabled]="loading()"><mat-icon>refresh</mat-icon> Refresh</button>
      </div>
      <p class="hint">
        Where Slipway tells of finished deployments. {{ admin() ? 'Leave the module empty for every module.' : 'Your channels follow your own modules.' }}
        Secrets are never shown again after they are saved.
      </p>
      @if (loading()) { <mat-progress-bar mode="indeterminate" aria-label="Loading channels" /> }
      @if (problem(); as p) { <p class="error" role="alert" data-testid="notifications-problem">{{ p }}</p> }

      @if (generated(); as g) {
        <mat-card appearance="outlined" class="created" data-testid="new-secret">
          <mat-card-content>
            <p role="status"><strong>Copy the signing secret of “{{ g.name }}” now.</strong> It will not be shown again.</p>
            <code>{{ g.secret }}</code>
          </mat-card-content>
          <mat-card-actions align="end"><button mat-button type="button" (click)="generated.set(null)">Done</button></mat-card-actions>
        </mat-card>
      }

      @for (c of channels(); track c.id) {
        <mat-card appearance="outlined" class="channel" [attr.data-channel]="c.name">
          <mat-card-header>
            <mat-card-title>{{ c.name }}</mat-card-title>
            <mat-card-subtitle>{{ kindLabel(c.kind) }} · {{ c.module ?? 'every module' }} · <code>{{ c.target }}</code>@if (c.secret_hint) { · secret {{ c.secret_hint }} }</mat-card-subtitle>
          </mat-card-header>
          <mat-card-content>
            <p class="events">{{ eventsLabel(c.events) }}</p>
            @if (c.recent_deliveries.length) {
              <ul class="deliveries" aria-label="Recent deliveries">
                @for (d of c.recent_deliveries; track d.id) {
                  <li [attr.data-status]="d.status" data-testid="delivery">
                    <mat-icon [class]="d.status">{{ icon(d.status) }}</mat-icon>
                    <span>{{ eventLabel(d.event) }} · deployment {{ d.deployment_id }} · <strong>{{ d.status }}</strong>
                      ({{ d.attempts }} attempt{{ d.attempts === 1 ? '' : 's' }}@if (d.response_status !== null) {, {{ d.response_status }}})
                      · {{ d.updated_at | date: 'short' }}</span>
                    @if (d.last_error) { <span class="sub">{{ d.last_error }}</span> }
                  </li>
                }
              </ul>
            } @else {
              <p class="sub">No deliveries yet.</p>
            }
          </mat-card-content>
          <mat-card-actions align="end">
            <button mat-button type="button" (click)="remove(c)" [attr.aria-label]="'Delete channel ' + c.name"><mat-icon>delete</mat-icon> Delete</button>
          </mat-card-actions>
        </mat-card>
      } @empty {
        @if (!loading()) { <p class="empty" data-testid="no-channels">No channels yet.</p> }
      }

      <h2>New channel</h2>
      <form [formGroup]="form" (ngSubmit)="create()" class="create" aria-label="New notification channel">
        <mat-form-field appearance="outline"><mat-label>Name</mat-label><input matInput formControlName="name" required maxlength="200" /></mat-form-field>
        <mat-form-field appearance="outline">
          <mat-label>Kind</mat-label>
          <mat-select formControlName="kind">@for (k of kinds; track k.id) { <mat-option [value]="k.id">{{ k.label }}</mat-option> }</mat-select>
        </mat-form-field>
        <mat-form-field appearance="outline">
          <mat-label>Module{{ admin() ? ' (empty: every module)' : '' }}</mat-label>
          <input matInput formControlName="module" [required]="!admin()" />
        </mat-form-field>
        <fieldset class="events-choice">
          <legend>Events</legend>
          @for (e of events; track e.id) {
            <mat-checkbox [checked]="chosen().includes(e.id)" (change)="toggle(e.id, $event.checked)">{{ e.label }}</mat-checkbox>
          }
        </fieldset>
        @if (kind() === 'email') {
          <mat-form-field appearance="outline"><mat-label>SMTP host</mat-label><input matInput formControlName="host" /></mat-form-field>
          <mat-form-field appearance="outline"><mat-label>Port</mat-label><input matInput type="number" formControlName="port" /></mat-form-field>
          <mat-checkbox formControlName="secure">TLS from the start (port 465)</mat-checkbox>
          <mat-form-field appearance="outline"><mat-label>User name</mat-label><input matInput formControlName="username" autocomplete="off" /></mat-form-field>
          <mat-form-field appearance="outline"><mat-label>Password</mat-label><input matInput type="password" formControlName="password" autocomplete="new-password" /></mat-form-field>
          <mat-form-field appearance="outline"><mat-label>From</mat-label><input matInput formControlName="from" /></mat-form-field>
          <mat-form-field appearance="outline"><mat-label>To (comma-separated)</mat-label><input matInput formControlName="to" /></mat-form-field>
        } @else {
          <mat-form-field appearance="outline" class="wide"><mat-label>URL</mat-label><input matInput formControlName="url" type="url" autocomplete="off" /></mat-form-field>
          @if (kind() === 'webhook') {
            <mat-form-field appearance="outline" class="wide"><mat-label>Signing secret (whsec_…; empty: generated)</mat-label><input matInput type="password" formControlName="secret" autocomplete="off" /></mat-form-field>
          }
        }
        <div class="submit"><button mat-flat-button type="submit" [disabled]="saving() || form.invalid || !chosen().length">Add channel</button></div>
      </form>
    </section>
  `,
  styles: `
    .page-head { display: flex; align-items: center; justify-content: space-between; gap: 12px; }
    .hint, .sub, .events { color: var(--mat-sys-on-surface-variant); }
    .sub { display: block; font: var(--mat-sys-body-small); overflow-wrap: anywhere; }
    .channel, .created { margin-bottom: 12px; }
    .deliveries { list-style: none; padding: 0; margin: 0; }
    .deliveries li { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; padding: 4px 0; }
    mat-icon.delivered { color: var(--mat-sys-primary); }
    mat-icon.failed, mat-icon.retrying { color: var(--mat-sys-error); }
    .error { color: var(--mat-sys-error); }
    code { overflow-wrap: anywhere; }
    .create { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: center; }
    .create mat-form-field { min-width: 220px; flex: 1 1 220px; }
    .create .wide { flex-basis: 100%; }
    .events-choice { border: 0; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 4px 12px; flex-basis: 100%; }
    .submit { flex-basis: 100%; }
  `,
})
export class NotificationsPage {
  private readonly http = inject(HttpClient);
  private readonly auth = inject(AuthService);
  private readonly fb = inject(NonNullableFormBuilder);

  protected readonly events = EVENTS;
  protected readonly kinds = KINDS;
  protected readonly channels = signal<NotificationChannel[]>([]);
  protected readonly loading = signal(false);
  protected readonly saving = signal(false);
  protected readonly problem = signal<string | null>(null);
  protected readonly generated = signal<{ name: string; secret: string } | null>(null);
  protected readonly chosen = signal<NotificationEvent[]>(['deployment.failed', 'deployment.stuck']);
  protected readonly admin = computed(() => this.auth.user()?.role === 'admin');

  protected readonly form = this.fb.group({
    name: ['', [Validators.required, Validators.maxLength(200)]],
    kind: this.fb.control<NotificationKind>('webhook'),
    module: [''],
    url: [''],
    secret: [''],
    host: [''],
    port: [587],
    secure: [false],
    username: [''],
    password: [''],
    from: [''],
    to: [''],
  });
  protected readonly kind = signal<NotificationKind>('webhook');

  constructor() {
    this.form.controls.kind.valueChanges.subscribe((k) => this.kind.set(k));
    void this.load();
  }

  protected kindLabel(k: NotificationKind): string {
    return KINDS.find((x) => x.id === k)?.label ?? k;
  }
  protected eventLabel(e: NotificationEvent): string {
    return EVENTS.find((x) => x.id === e)?.label ?? e;
  }
  protected eventsLabel(list: readonly NotificationEvent[]): string {
    return list.map((e) => this.eventLabel(e)).join(', ');
  }
  protected icon(status: string): string {
    return status === 'delivered' ? 'check_circle' : status === 'failed' ? 'error' : status === 'retrying' ? 'replay' : 'schedule';
  }
  protected toggle(e: NotificationEvent, on: boolean): void {
    this.chosen.update((l) => (on ? [...new Set([...l, e])] : l.filter((x) => x !== e)));
  }

  async load(): Promise<void> {
    this.loading.set(true);
    try {
      this.channels.set((await firstValueFrom(this.http.get<ListResponse<NotificationChannel>>(API))).data);
      this.problem.set(null);
    } catch (err) {
      this.problem.set(apiProblem(err).message);
    } finally {
      this.loading.set(false);
    }
  }

  protected async create(): Promise<void> {
    const v = this.form.getRawValue();
    const body: CreateNotificationChannel = { name: v.name.trim(), kind: v.kind, events: this.chosen(), module: v.module.trim() || null };
    if (v.kind === 'email') {
      body.smtp = { host: v.host.trim(), port: Number(v.port) || 587, secure: v.secure, username: v.username || undefined, password: v.password || undefined, from: v.from.trim(), to: v.to.split(',').map((t) => t.trim()).filter(Boolean) };
    } else {
      body.url = v.url.trim();
      if (v.kind === 'webhook' && v.secret) body.secret = v.secret;
    }
    this.saving.set(true);
    try {
      const c = await firstValueFrom(this.http.post<CreatedNotificationChannel>(API, body));
      if (c.secret) this.generated.set({ name: c.name, secret: c.secret });
      this.form.patchValue({ name: '', url: '', secret: '', password: '' });
      this.problem.set(null);
      await this.load();
    } catch (err) {
      this.problem.set(apiProblem(err).message);
    } finally {
      this.saving.set(false);
    }
  }

  protected async remove(c: NotificationChannel): Promise<void> {
    if (!confirm(`Delete the channel “${c.name}” and its deliveries?`)) return;
    try {
      await firstValueFrom(this.http.delete(`${API}/${c.id}`));
      await this.load();
    } catch (err) {
      this.problem.set(apiProblem(err).message);
    }
  }
}
