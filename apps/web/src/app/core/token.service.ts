import { HttpClient } from '@angular/common/http';
import { Injectable, inject, signal } from '@angular/core';
import type { ApiToken, CreateApiTokenRequest, CreatedApiToken } from '@slipway/contracts';
import { firstValueFrom } from 'rxjs';

export type { ApiToken, CreatedApiToken } from '@slipway/contracts';

/**
 * The signed-in user's personal access tokens (`/api/auth/tokens`). The server shows a token's value
 * once, in the answer to its creation; the list holds names and dates only.
 */
@Injectable({ providedIn: 'root' })
export class TokenService {
  private readonly http = inject(HttpClient);

  /** Newest first, as the server lists them. */
  readonly tokens = signal<ApiToken[]>([]);

  async load(): Promise<ApiToken[]> {
    const r = await firstValueFrom(this.http.get<{ data: ApiToken[] }>('/api/auth/tokens'));
    this.tokens.set(r.data);
    return r.data;
  }

  async create(request: CreateApiTokenRequest): Promise<CreatedApiToken> {
    const created = await firstValueFrom(this.http.post<CreatedApiToken>('/api/auth/tokens', request));
    const { token: _shownOnce, ...listed } = created;
    this.tokens.update((ts) => [listed, ...ts]);
    return created;
  }

  async revoke(id: number): Promise<void> {
    await firstValueFrom(this.http.delete(`/api/auth/tokens/${id}`));
    this.tokens.update((ts) => ts.filter((t) => t.id !== id));
  }

  /** Expired tokens stay listed (so they can be revoked) but no longer work. */
  static isExpired(t: ApiToken, now = Date.now()): boolean {
    return t.expires_at !== null && Date.parse(t.expires_at) <= now;
  }
}
