import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/database.ts';
import { DIALECTS } from '../test-support/server.ts';
import { createAuthService, type AuthService } from './auth.service.ts';

const config = {
  session: { ttlHours: 1, secureCookie: 'auto' as const },
  login: { maxFailures: 5, windowMs: 15 * 60_000, lockMs: 60_000, maxLockMs: 3_600_000, perAddressPerMinute: 1000 },
  tokens: { maxPerUser: 3 },
};
const GOOD = 'right-password';

describe.each(DIALECTS)('accounts on %s', (dialect) => {
  let h: Awaited<ReturnType<typeof openTestDatabase>>;
  let now = Date.parse('2026-01-01T00:00:00Z');
  const clock = () => now;
  let auth: AuthService;

  beforeAll(async () => {
    h = await openTestDatabase(dialect);
    auth = createAuthService(h, config, clock);
    await auth.addUser('alice@example.com', GOOD, 'member');
  });
  afterAll(async () => {
    // pg's pool.end() resolves before its sockets have closed; dropping the database (WITH FORCE)
    // at once can kill one mid-close, and the pool re-emits that as an unhandled 'error'. The burst
    // test leaves up to 10 connections, so let them close first (closing twice is harmless).
    await h?.close();
    await new Promise((r) => setTimeout(r, 200));
    await h?.dispose();
  });

  it('locks an account after 5 failures: then even the right password is refused until the lock passes', async () => {
    const answers = [];
    for (let i = 0; i < 30; i++) {
      answers.push(await auth.login('alice@example.com', `wrong-${i}`));
      now += 100; // 10 per second
    }
    expect(answers.slice(0, 5).map((a) => a.ok || a.reason)).toEqual(['invalid', 'invalid', 'invalid', 'invalid', 'invalid']);
    expect(answers.slice(5).every((a) => !a.ok && a.reason === 'locked')).toBe(true);
    const right = await auth.login('Alice@Example.com', GOOD);
    expect(right).toMatchObject({ ok: false, reason: 'locked' });
    if (right.ok || right.reason !== 'locked') return;
    expect(right.retryAfterMs).toBeGreaterThan(0);
    expect(right.retryAfterMs).toBeLessThanOrEqual(60_000);
    now += right.retryAfterMs;
    expect(await auth.login('alice@example.com', GOOD)).toMatchObject({ ok: true, user: { email: 'alice@example.com' } });
    // A success starts the count again.
    for (let i = 0; i < 4; i++) expect(await auth.login('alice@example.com', 'wrong')).toMatchObject({ reason: 'invalid' });
    expect(await auth.login('alice@example.com', GOOD)).toMatchObject({ ok: true });
  });

  it('answers an unknown email exactly like a known one', async () => {
    const unknown = [];
    for (let i = 0; i < 7; i++) unknown.push(await auth.login('nobody@example.com', 'wrong'));
    expect(unknown.map((a) => a.ok || a.reason)).toEqual(['invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'locked', 'locked']);
  });

  it('counts a burst of parallel guesses before checking any: at most 5 get checked', async () => {
    await auth.addUser('burst@example.com', GOOD, 'member');
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => auth.login('burst@example.com', i === 19 ? GOOD : `wrong-${i}`)));
    expect(answers.filter((a) => a.ok || a.reason === 'invalid').length).toBeLessThanOrEqual(5);
    expect(answers.filter((a) => !a.ok && a.reason === 'locked').length).toBeGreaterThanOrEqual(15);
  });

  it('shares the lock between instances on the same database', async () => {
    await auth.addUser('shared@example.com', GOOD, 'member');
    const other = createAuthService(h, config, clock);
    for (let i = 0; i < 5; i++) await (i % 2 ? other : auth).login('shared@example.com', 'wrong');
    expect(await other.login('shared@example.com', GOOD)).toMatchObject({ reason: 'locked' });
  });

  it('doubles the lock for a failure right after one, and forgets old failures', async () => {
    await auth.addUser('slow@example.com', GOOD, 'member');
    for (let i = 0; i < 5; i++) await auth.login('slow@example.com', 'wrong');
    now += 60_000;
    expect(await auth.login('slow@example.com', 'wrong')).toMatchObject({ reason: 'invalid' });
    const locked = await auth.login('slow@example.com', GOOD);
    expect(locked).toMatchObject({ reason: 'locked', retryAfterMs: 120_000 });
    now += 120_000 + 15 * 60_000;
    // A window after the lock ended, the count starts again: 4 failures leave it open.
    for (let i = 0; i < 4; i++) expect(await auth.login('slow@example.com', 'wrong')).toMatchObject({ reason: 'invalid' });
    expect(await auth.login('slow@example.com', GOOD)).toMatchObject({ ok: true });
  });

  it('deletes throttle rows once they no longer matter', async () => {
    now += 24 * 3600_000;
    await auth.login('someone-else@example.com', 'wrong');
    const rows = await h.db.selectFrom('login_throttle').select('key_hash').execute();
    expect(rows).toHaveLength(1);
  });

  it('lists, expires and revokes tokens, and updates last use at most once a minute', async () => {
    const alice = await auth.userByEmail('alice@example.com');
    const forever = await auth.issueToken(alice, { name: 'laptop' });
    const week = await auth.issueToken(alice, { name: 'ci', expiresInDays: 7 });
    expect(week.expires_at).toBe(new Date(now + 7 * 86_400_000).toISOString());
    const list = await auth.listTokens(alice.id);
    expect(list.map((t) => t.name)).toEqual(['ci', 'laptop']);
    expect(Object.keys(list[0]!).sort()).toEqual(['created_at', 'expires_at', 'id', 'last_used_at', 'name']);

    const use = (token: string) => auth.authenticate({ method: 'GET', authorization: `Bearer ${token}` });
    expect(await use(forever.token)).toMatchObject({ ok: true, via: 'token', user: { id: alice.id } });
    const firstUse = new Date(now).toISOString();
    now += 30_000;
    await use(forever.token);
    expect((await auth.listTokens(alice.id)).find((t) => t.id === forever.id)!.last_used_at).toBe(firstUse);
    now += 31_000;
    await use(forever.token);
    expect((await auth.listTokens(alice.id)).find((t) => t.id === forever.id)!.last_used_at).toBe(new Date(now).toISOString());

    expect(await use(week.token)).toMatchObject({ ok: true });
    now += 7 * 86_400_000;
    expect(await use(week.token)).toMatchObject({ ok: false, status: 401 });

    expect(await auth.revokeToken(forever.id, alice.id + 1000)).toBeUndefined();
    expect(await use(forever.token)).toMatchObject({ ok: true });
    expect(await auth.revokeToken(forever.id, alice.id)).toMatchObject({ id: forever.id, name: 'laptop' });
    expect(await use(forever.token)).toMatchObject({ ok: false, status: 401 });
  });

  it('bounds the tokens a user may hold', async () => {
    const u = await auth.addUser('many@example.com', GOOD, 'member');
    for (let i = 0; i < 3; i++) await auth.issueToken(u, { name: `t${i}` });
    await expect(auth.issueToken(u, { name: 'one more' })).rejects.toMatchObject({ code: 'too_many_tokens' });
    await expect(auth.issueToken(u, { name: ' ' })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('ends every session and revokes every token on a password change', async () => {
    const u = await auth.addUser('victim@example.com', GOOD, 'member');
    const token = (await auth.issueToken(u, { name: 'stolen' })).token;
    const s = await auth.login('victim@example.com', GOOD);
    if (!s.ok) throw new Error('sign-in failed');
    const session = { method: 'GET', sessionCookie: s.sessionId };
    expect(await auth.authenticate(session)).toMatchObject({ ok: true });
    await auth.setPassword('victim@example.com', 'new-password-1');
    expect(await auth.authenticate(session)).toMatchObject({ ok: false, status: 401 });
    expect(await auth.authenticate({ method: 'GET', authorization: `Bearer ${token}` })).toMatchObject({ ok: false, status: 401 });
    expect(await auth.listTokens(u.id)).toEqual([]);
    expect(await auth.login('victim@example.com', 'new-password-1')).toMatchObject({ ok: true });
  });
});
