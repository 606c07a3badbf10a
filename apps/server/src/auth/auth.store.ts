import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { ApiTokensTable, UsersTable } from '../db/schema.ts';

export type UserRow = Selectable<UsersTable>;
/** What may be shown of a token: everything but its hash and owner. */
const TOKEN_COLUMNS = ['id', 'name', 'created_at', 'last_used_at', 'expires_at'] as const;
export type TokenRow = Pick<Selectable<ApiTokensTable>, (typeof TOKEN_COLUMNS)[number]>;

/** Users, their API tokens and their sessions. */
export class AuthStore {
  userByEmail(db: Db, email: string): Promise<UserRow | undefined> {
    return db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
  }

  userById(db: Db, id: number): Promise<UserRow | undefined> {
    return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async countUsers(db: Db): Promise<number> {
    const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  insertUser(db: Db, u: { email: string; passwordHash: string; role: 'admin' | 'member'; now: string }): Promise<UserRow> {
    return db
      .insertInto('users')
      .values({ email: u.email.toLowerCase(), password_hash: u.passwordHash, role: u.role, created_at: u.now })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** New password; every open session and every token of the user ends with the old one. */
  async setPassword(db: Db, userId: number, passwordHash: string): Promise<void> {
    await db.transaction().execute(async (tx) => {
      await tx.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
      await tx.deleteFrom('sessions').where('user_id', '=', userId).execute();
      await tx.deleteFrom('api_tokens').where('user_id', '=', userId).execute();
    });
  }

  insertToken(db: Db, t: { userId: number; name: string; tokenHash: string; now: string; expiresAt: string | null }): Promise<TokenRow> {
    return db
      .insertInto('api_tokens')
      .values({ user_id: t.userId, name: t.name, token_hash: t.tokenHash, created_at: t.now, last_used_at: null, expires_at: t.expiresAt })
      .returning(TOKEN_COLUMNS)
      .executeTakeFirstOrThrow();
  }

  /** The token's user, unless the token is unknown or expired. */
  userByTokenHash(db: Db, hash: string, now: string): Promise<(UserRow & { token_id: number; token_last_used_at: string | null }) | undefined> {
    return db
      .selectFrom('api_tokens as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .selectAll('u')
      .select(['t.id as token_id', 't.last_used_at as token_last_used_at'])
      .where('t.token_hash', '=', hash)
      .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', now)]))
      .executeTakeFirst();
  }

  async touchToken(db: Db, id: number, now: string): Promise<void> {
    await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
  }

  /** A user's tokens, newest first; never the hash. */
  listTokens(db: Db, userId: number): Promise<TokenRow[]> {
    return db.selectFrom('api_tokens').select(TOKEN_COLUMNS).where('user_id', '=', userId).orderBy('id', 'desc').execute();
  }

  async countTokens(db: Db, userId: number): Promise<number> {
    const r = await db
      .selectFrom('api_tokens')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** Deletes a token (of that user only, when `userId` is given) and returns what it was. */
  deleteToken(db: Db, id: number, userId?: number): Promise<TokenRow | undefined> {
    let q = db.deleteFrom('api_tokens').where('id', '=', id);
    if (userId !== undefined) q = q.where('user_id', '=', userId);
    return q.returning(TOKEN_COLUMNS).executeTakeFirst();
  }

  async insertSession(db: Db, s: { id: string; userId: number; csrfToken: string; expiresAt: string; now: string }): Promise<void> {
    await db.insertInto('sessions').values({ id: s.id, user_id: s.userId, csrf_token: s.csrfToken, expires_at: s.expiresAt, created_at: s.now }).execute();
  }

  sessionUser(db: Db, id: string, now: string): Promise<(UserRow & { csrf_token: string }) | undefined> {
    return db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .selectAll('u')
      .select('s.csrf_token')
      .where('s.id', '=', id)
      .where('s.expires_at', '>', now)
      .executeTakeFirst();
  }

  async deleteSession(db: Db, id: string): Promise<void> {
    await db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  async deleteExpiredSessions(db: Db, now: string): Promise<void> {
    await db.deleteFrom('sessions').where('expires_at', '<=', now).execute();
  }
}
