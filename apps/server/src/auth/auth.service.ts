import { randomBytes } from 'node:crypto';
import type { Db } from '../db/database.ts';
import { AuthStore, type UserRow } from './auth.store.ts';
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

export class AuthError extends Error {
  constructor(
    readonly code: 'email_taken' | 'invalid_input' | 'unknown_user',
    message: string,
  ) {
    super(message);
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const EMAIL = /^[^\s@]+@[^\s@]+$/;
export const toUser = (u: UserRow): User => ({ id: u.id, email: u.email, role: u.role });

/** Accounts: users with scrypt-hashed passwords, hashed personal access tokens, cookie sessions. */
export class AuthService {
  constructor(
    private readonly db: Db,
    private readonly store: AuthStore,
    private readonly sessionTtlHours: number,
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

  async setPassword(email: string, password: string): Promise<void> {
    if (password.length < 8) throw new AuthError('invalid_input', 'password must be at least 8 characters');
    const user = await this.store.userByEmail(this.db, email);
    if (!user) throw new AuthError('unknown_user', `no user with email ${email}`);
    await this.store.setPassword(this.db, user.id, await hashPassword(password));
  }

  countUsers(): Promise<number> {
    return this.store.countUsers(this.db);
  }

  /** Creates a personal access token and returns it; only its hash is stored. */
  async createToken(email: string, name: string): Promise<string> {
    const user = await this.store.userByEmail(this.db, email);
    if (!user) throw new AuthError('unknown_user', `no user with email ${email}`);
    const token = newSecretToken('slp');
    await this.store.insertToken(this.db, { userId: user.id, name, tokenHash: hashToken(token), now: this.now() });
    return token;
  }

  /** Checks a password; on success opens a session whose id and CSRF token go into cookies. */
  async login(email: string, password: string): Promise<{ user: User; sessionId: string; csrfToken: string; expires: Date } | undefined> {
    const user = await this.store.userByEmail(this.db, email);
    // Hash anyway when the user is unknown, so timing does not tell which emails exist.
    const ok = await verifyPassword(password, user?.password_hash ?? 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');
    if (!user || !ok) return undefined;
    const sessionId = newSecretToken('sess');
    const csrfToken = randomBytes(24).toString('base64url');
    const expires = new Date(this.clock() + this.sessionTtlHours * 3600_000);
    await this.store.deleteExpiredSessions(this.db, this.now());
    await this.store.insertSession(this.db, { id: hashToken(sessionId), userId: user.id, csrfToken, expiresAt: expires.toISOString(), now: this.now() });
    return { user: toUser(user), sessionId, csrfToken, expires };
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
      const u = await this.store.userByTokenHash(this.db, hashToken(bearer));
      if (!u) return { ok: false, status: 401, message: 'invalid token' };
      await this.store.touchToken(this.db, u.token_id, this.now());
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
