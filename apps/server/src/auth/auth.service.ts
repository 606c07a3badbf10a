import { randomBytes } from 'node:crypto';
import { createApiTokenSchema, type ApiToken, type CreatedApiToken } from '@slipway/contracts';
import type { Config } from '../config/config.ts';
import type { DatabaseHandle, Db } from '../db/database.ts';
import { AuthStore, type UserRow } from './auth.store.ts';
import { LoginThrottleStore } from './login-throttle.store.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { hashToken, newSecretToken, sameSecret } from './secret-token.ts';

export interface User {
  id: number;
  email: string;
  role: 'admin' | 'member';
}

/** What authentication looks at in a request, so this service stays free of HTTP types. */
export interface Credentials {
  method: string;
  authorization?: string;
  sessionCookie?: string;
  csrfHeader?: string;
}

export type AuthResult = { ok: true; user: User; via: 'token' | 'session' } | { ok: false; status: 401 | 403; message: string };

export type LoginResult =
  | { ok: true; user: User; sessionId: string; csrfToken: string; expires: Date }
  | { ok: false; reason: 'invalid' }
  /** Too many recent failures for this email (known or not): refused without checking the password. */
  | { ok: false; reason: 'locked'; retryAfterMs: number };

export interface AuthSettings {
  sessionTtlHours: number;
  maxTokensPerUser: number;
  /** A token's `last_used_at` is written at most this often, not on every request. */
  touchIntervalMs: number;
}

export class AuthError extends Error {
  constructor(
    readonly code: 'email_taken' | 'invalid_input' | 'unknown_user' | 'too_many_tokens',
    message: string,
  ) {
    super(message);
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const EMAIL = /^[^\s@]+@[^\s@]+$/;
export const toUser = (u: UserRow): User => ({ id: u.id, email: u.email, role: u.role });
/** Burnt on unknown emails so timing does not tell which exist. */
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const DAY_MS = 86_400_000;

/** Accounts: users with scrypt-hashed passwords, hashed personal access tokens, cookie sessions. */
export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly store: AuthStore,
    private readonly throttle: LoginThrottleStore,
    private readonly settings: AuthSettings,
    private readonly clock: () => number = Date.now,
  ) {}

  private now() {
    return new Date(this.clock()).toISOString();
  }

  async addUser(email: string, password: string, role: 'admin' | 'member'): Promise<User> {
    if (!EMAIL.test(email)) throw new AuthError('invalid_input', `'${email}' is not an email address`);
    if (password.length < 8) throw new AuthError('invalid_input', 'password must be at least 8 characters');
    if (await this.store.userByEmail(this.db, email)) throw new AuthError('email_taken', `a user with email ${email.toLowerCase()} exists already`);
    return toUser(await this.store.insertUser(this.db, { email, passwordHash: await hashPassword(password), role, now: this.now() }));
  }

  /**
   * New password. Every session and every token of the user ends with the old password: after a
   * compromise, whatever the intruder opened or minted stops working. A sign-in lock is lifted.
   */
  async setPassword(email: string, password: string): Promise<void> {
    if (password.length < 8) throw new AuthError('invalid_input', 'password must be at least 8 characters');
    const user = await this.store.userByEmail(this.db, email);
    if (!user) throw new AuthError('unknown_user', `no user with email ${email}`);
    await this.store.setPassword(this.db, user.id, await hashPassword(password));
    await this.throttle.clear(this.db, throttleKey(email));
  }

  countUsers(): Promise<number> {
    return this.store.countUsers(this.db);
  }

  async userByEmail(email: string): Promise<User> {
    const user = await this.store.userByEmail(this.db, email);
    if (!user) throw new AuthError('unknown_user', `no user with email ${email}`);
    return toUser(user);
  }

  /** A token for the user with that email (CLI, tests): only the token. */
  async createToken(email: string, name: string, expiresInDays?: number): Promise<string> {
    return (await this.issueToken(await this.userByEmail(email), { name, expiresInDays })).token;
  }

  /** Creates a personal access token and answers it once; only its hash is stored. */
  async issueToken(user: User, request: { name: string; expiresInDays?: number }): Promise<CreatedApiToken> {
    const r = createApiTokenSchema.safeParse(request);
    if (!r.success) throw new AuthError('invalid_input', r.error.issues.map((i) => `${i.path.join('.') || 'token'}: ${i.message}`).join('; '));
    if ((await this.store.countTokens(this.db, user.id)) >= this.settings.maxTokensPerUser) {
      throw new AuthError('too_many_tokens', `${user.email} has ${this.settings.maxTokensPerUser} tokens already: revoke one first`);
    }
    const token = newSecretToken('slp');
    const now = this.clock();
    const expiresAt = r.data.expiresInDays ? new Date(now + r.data.expiresInDays * DAY_MS).toISOString() : null;
    const row = await this.store.insertToken(this.db, { userId: user.id, name: r.data.name, tokenHash: hashToken(token), now: new Date(now).toISOString(), expiresAt });
    return { ...row, token };
  }

  listTokens(userId: number): Promise<ApiToken[]> {
    return this.store.listTokens(this.db, userId);
  }

  /** Revokes a token: the user's own when `ownerId` is given (the API), any (the CLI, run by an operator). */
  revokeToken(id: number, ownerId?: number): Promise<ApiToken | undefined> {
    return this.store.deleteToken(this.db, id, ownerId);
  }

  /**
   * Checks a password; on success opens a session whose id and CSRF token go into cookies. Each
   * attempt is throttled per email (login-throttle.ts) before the password is looked at.
   */
  async login(email: string, password: string): Promise<LoginResult> {
    const key = throttleKey(email);
    const now = this.clock();
    const admission = await this.throttle.claim(this.db, key, now);
    if (!admission.allowed) return { ok: false, reason: 'locked', retryAfterMs: admission.retryAfterMs };
    const user = await this.store.userByEmail(this.db, email);
    const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
    if (!user || !ok) {
      await this.throttle.prune(this.db, now);
      return { ok: false, reason: 'invalid' };
    }
    await this.throttle.clear(this.db, key);
    const sessionId = newSecretToken('sess');
    const csrfToken = randomBytes(24).toString('base64url');
    const expires = new Date(this.clock() + this.settings.sessionTtlHours * 3600_000);
    await this.store.deleteExpiredSessions(this.db, this.now());
    await this.store.insertSession(this.db, { id: hashToken(sessionId), userId: user.id, csrfToken, expiresAt: expires.toISOString(), now: this.now() });
    return { ok: true, user: toUser(user), sessionId, csrfToken, expires };
  }

  async logout(sessionId: string): Promise<void> {
    await this.store.deleteSession(this.db, hashToken(sessionId));
  }

  /**
   * Bearer token first, then the session cookie. A cookie-authenticated request that changes
   * something must echo the CSRF token in a header (double submit): a cross-site form cannot.
   */
  async authenticate(c: Credentials): Promise<AuthResult> {
    const bearer = /^Bearer\s+(\S+)$/i.exec(c.authorization ?? '')?.[1];
    if (bearer) {
      const now = this.clock();
      const u = await this.store.userByTokenHash(this.db, hashToken(bearer), new Date(now).toISOString());
      if (!u) return { ok: false, status: 401, message: 'invalid, expired or revoked token' };
      if (!u.token_last_used_at || Date.parse(u.token_last_used_at) <= now - this.settings.touchIntervalMs) {
        await this.store.touchToken(this.db, u.token_id, new Date(now).toISOString());
      }
      return { ok: true, user: toUser(u), via: 'token' };
    }
    if (c.sessionCookie) {
      const u = await this.store.sessionUser(this.db, hashToken(c.sessionCookie), this.now());
      if (!u) return { ok: false, status: 401, message: 'session expired; sign in again' };
      if (!SAFE_METHODS.has(c.method.toUpperCase()) && !(c.csrfHeader && sameSecret(c.csrfHeader, u.csrf_token))) {
        return { ok: false, status: 403, message: 'missing or wrong X-XSRF-TOKEN header' };
      }
      return { ok: true, user: toUser(u), via: 'session' };
    }
    return { ok: false, status: 401, message: 'authentication required: sign in, or send Authorization: Bearer <token>' };
  }
}

function throttleKey(email: string): string {
  return hashToken(`login:${email.toLowerCase()}`);
}

/** The one wiring of accounts, for the server (context.ts) and the CLI alike. */
export function createAuthService(database: Pick<DatabaseHandle, 'db' | 'traits'>, config: Pick<Config, 'session' | 'login' | 'tokens'>, clock?: () => number): AuthService {
  const settings: AuthSettings = {
    sessionTtlHours: config.session.ttlHours,
    maxTokensPerUser: config.tokens.maxPerUser,
    touchIntervalMs: 60_000,
  };
  return new AuthService(database.db, new AuthStore(), new LoginThrottleStore(database.traits, config.login), settings, clock);
}
