import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { Injectable, computed, inject, signal } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import type { AuthUser, LoginRequest, LoginResponse } from '@slipway/contracts';
import { apiProblem } from './api-error';

/** `GET /api/auth/me`: the contracts' `userSchema`, as the server's route declares it. */
export type User = AuthUser;

/**
 * The signed-in user, from the server's cookie session (`slipway_session`, httpOnly). Mutating
 * requests carry the `XSRF-TOKEN` cookie back as `X-XSRF-TOKEN`: HttpClient's default XSRF support.
 */
@Injectable({ providedIn: 'root' })
export class AuthService {
  private readonly http = inject(HttpClient);
  private restoring: Promise<User | null> | null = null;

  readonly user = signal<User | null>(null);
  readonly signedIn = computed(() => this.user() !== null);
  /** Set when the session could not be checked because the server did not answer. */
  readonly problem = signal<string | null>(null);

  /** Who the session cookie belongs to; null when nobody is signed in. Asks the server once. */
  restore(): Promise<User | null> {
    if (this.user()) return Promise.resolve(this.user());
    this.restoring ??= firstValueFrom(this.http.get<User>('/api/auth/me'))
      .then((u) => {
        this.problem.set(null);
        this.user.set(u);
        return u;
      })
      .catch((err: unknown) => {
        if (!(err instanceof HttpErrorResponse && err.status === 401)) this.problem.set(apiProblem(err).message);
        return null;
      })
      .finally(() => (this.restoring = null));
    return this.restoring;
  }

  async signIn(email: string, password: string): Promise<User> {
    const r = await firstValueFrom(this.http.post<LoginResponse>('/api/auth/login', { email, password } satisfies LoginRequest));
    this.problem.set(null);
    this.user.set(r.user);
    return r.user;
  }

  async signOut(): Promise<void> {
    try {
      await firstValueFrom(this.http.post('/api/auth/logout', {}));
    } finally {
      this.user.set(null);
    }
  }

  /** The session ended on the server (401 from any call). */
  forget(): void {
    this.user.set(null);
  }
}
