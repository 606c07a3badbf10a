import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { UsersTable } from '../db/schema.ts';

export type UserRow = Selectable<UsersTable>;

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

  /** New password; every open session of the user ends. */
  async setPassword(db: Db, userId: number, passwordHash: string): Promise<void> {
    await db.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', userId).execute();
    await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
  }

  async insertToken(db: Db, t: { userId: number; name: string; tokenHash: string; now: string }): Promise<void> {
    await db.insertInto('api_tokens').values({ user_id: t.userId, name: t.name, token_hash: t.tokenHash, created_at: t.now, last_used_at: null }).execute();
  }

  userByTokenHash(db: Db, hash: string): Promise<(UserRow & { token_id: number }) | undefined> {
    return db
      .selectFrom('api_tokens as t')
      .innerJoin('users as u', 'u.id', 't.user_id')
      .selectAll('u')
      .select('t.id as token_id')
      .where('t.token_hash', '=', hash)
      .executeTakeFirst();
  }

  async touchToken(db: Db, id: number, now: string): Promise<void> {
    await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', id).execute();
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
