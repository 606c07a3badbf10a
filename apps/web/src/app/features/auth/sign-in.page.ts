import { ChangeDetectionStrategy, Component, inject, input, signal } from '@angular/core';
import { NonNullableFormBuilder, ReactiveFormsModule, Validators } from '@angular/forms';
import { MatButtonModule } from '@angular/material/button';
import { MatCardModule } from '@angular/material/card';
import { MatFormFieldModule } from '@angular/material/form-field';
import { MatIconModule } from '@angular/material/icon';
import { MatInputModule } from '@angular/material/input';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { Router } from '@angular/router';
import { apiProblem } from '../../core/api-error';
import { AuthService } from '../../core/auth.service';

/** Email + password against the server's cookie session. */
@Component({
  selector: 'app-sign-in',
  changeDetection: ChangeDetectionStrategy.OnPush,
  imports: [ReactiveFormsModule, MatCardModule, MatFormFieldModule, MatInputModule, MatButtonModule, MatIconModule, MatProgressBarModule],
  template: `
    <div class="wrap">
      <mat-card appearance="outlined">
        <mat-card-header>
          <mat-icon mat-card-avatar aria-hidden="true">sailing</mat-icon>
          <mat-card-title><h1>Sign in to Slipway</h1></mat-card-title>
          <mat-card-subtitle>Create a module and watch it go live.</mat-card-subtitle>
        </mat-card-header>
        @if (busy()) { <mat-progress-bar mode="indeterminate" aria-label="Signing in" /> }
        <mat-card-content>
          @if (auth.problem(); as p) {
            <p class="problem" role="alert"><mat-icon aria-hidden="true">cloud_off</mat-icon> {{ p }}</p>
          }
          <form [formGroup]="form" (ngSubmit)="submit()" novalidate>
            <mat-form-field appearance="outline">
              <mat-label>Email</mat-label>
              <input matInput type="email" formControlName="email" autocomplete="username" required />
              @if (form.controls.email.hasError('required')) { <mat-error>Enter your email</mat-error> }
            </mat-form-field>
            <mat-form-field appearance="outline">
              <mat-label>Password</mat-label>
              <input matInput [type]="showPassword() ? 'text' : 'password'" formControlName="password" autocomplete="current-password" required />
              <button mat-icon-button matSuffix type="button" (click)="showPassword.set(!showPassword())"
                      [attr.aria-label]="showPassword() ? 'Hide password' : 'Show password'">
                <mat-icon>{{ showPassword() ? 'visibility_off' : 'visibility' }}</mat-icon>
              </button>
              @if (form.controls.password.hasError('required')) { <mat-error>Enter your password</mat-error> }
            </mat-form-field>
            @if (error(); as e) { <p class="problem" role="alert" data-testid="sign-in-error">{{ e }}</p> }
            <button mat-flat-button type="submit" [disabled]="busy()">Sign in</button>
          </form>
        </mat-card-content>
      </mat-card>
    </div>
  `,
  styles: `
    .wrap { display: flex; justify-content: center; padding: 48px 16px; }
    mat-card { width: 100%; max-width: 420px; }
    h1 { font: inherit; margin: 0; }
    mat-icon[mat-card-avatar] { font-size: 40px; width: 40px; height: 40px; color: var(--mat-sys-primary); }
    form { display: flex; flex-direction: column; gap: 4px; margin-top: 16px; }
    .problem { display: flex; align-items: center; gap: 6px; color: var(--mat-sys-error); margin: 0 0 12px; }
  `,
})
export class SignInPage {
  protected readonly auth = inject(AuthService);
  private readonly router = inject(Router);
  /** Where to go after signing in (set by the auth guard). */
  readonly returnUrl = input<string>();

  protected readonly form = inject(NonNullableFormBuilder).group({
    email: ['', Validators.required],
    password: ['', Validators.required],
  });
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly showPassword = signal(false);

  constructor() {
    // Already signed in (session cookie still valid): go straight on.
    void this.auth.restore().then((u) => {
      if (u) void this.router.navigateByUrl(this.target());
    });
  }

  protected async submit(): Promise<void> {
    if (this.form.invalid) {
      this.form.markAllAsTouched();
      return;
    }
    this.busy.set(true);
    this.error.set(null);
    try {
      const { email, password } = this.form.getRawValue();
      await this.auth.signIn(email, password);
      await this.router.navigateByUrl(this.target());
    } catch (err) {
      const p = apiProblem(err);
      this.error.set(p.status === 401 ? 'Wrong email or password.' : p.message);
    } finally {
      this.busy.set(false);
    }
  }

  private target(): string {
    const url = this.returnUrl();
    // Only paths of this app, never another origin.
    return url && url.startsWith('/') && !url.startsWith('//') && !url.startsWith('/sign-in') ? url : '/modules';
  }
}
