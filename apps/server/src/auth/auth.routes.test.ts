import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../test-support/http.ts';
import { ADMIN, DIALECTS, startTestServer, type TestServer } from '../test-support/server.ts';

const MEMBER = { email: 'member@example.com', password: 'member-password' };

/** Signs in and returns what a browser would send back: the cookies and the XSRF header. */
async function signIn(url: string, who: { email: string; password: string }) {
  const r = await call(url, 'POST', '/api/auth/login', { body: who });
  expect(r.status).toBe(200);
  const cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return { cookie, 'x-xsrf-token': r.body.csrf_token as string };
}

describe.each(DIALECTS)('sign-in throttle and tokens over HTTP on %s', (dialect) => {
  let s: TestServer;

  beforeAll(async () => {
    // Short lock so the test can wait it out; the per-address limit high enough not to interfere.
    s = await startTestServer(dialect, { LOGIN_LOCKOUT_SECONDS: '1.5', LOGIN_RATE_LIMIT_PER_MINUTE: '100', API_TOKENS_MAX_PER_USER: '5' });
    await s.ctx.auth.addUser(MEMBER.email, MEMBER.password, 'member');
  });
  afterAll(() => s?.close());

  it('refuses the right password while the account is locked, with 429, JSON and Retry-After, alike for unknown emails', async () => {
    const login = (email: string, password: string) => call(s.url, 'POST', '/api/auth/login', { body: { email, password } });
    const statuses = [];
    for (let i = 0; i < 12; i++) statuses.push((await login(MEMBER.email, `wrong-${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);

    const right = await login(MEMBER.email, MEMBER.password);
    expect(right.status).toBe(429);
    expect(right.body).toEqual({ error: 'too_many_attempts', message: expect.stringMatching(/try again in \d+ s/) });
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(right.headers.get('set-cookie')).toBeNull();

    // An email nobody has gets the very same answers.
    const unknown = [];
    for (let i = 0; i < 7; i++) unknown.push(await login('ghost@example.com', 'wrong'));
    expect(unknown.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 429, 429]);
    expect(Object.keys(unknown[6]!.body)).toEqual(Object.keys(right.body));

    await new Promise((r) => setTimeout(r, 1600));
    expect((await login(MEMBER.email, MEMBER.password)).status).toBe(200);
  });

  it('lists, creates (with expiry) and revokes the signed-in user\'s tokens, never showing a hash', async () => {
    const session = await signIn(s.url, MEMBER);
    const created = await call(s.url, 'POST', '/api/auth/tokens', { headers: session, body: { name: 'laptop', expiresInDays: 30 } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.any(Number), name: 'laptop', token: expect.stringMatching(/^slp_/), last_used_at: null });
    expect(Date.parse(created.body.expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const token = created.body.token as string;

    expect((await call(s.url, 'GET', '/api/auth/me', { token })).body).toMatchObject({ email: MEMBER.email });
    const list = await call(s.url, 'GET', '/api/auth/tokens', { token });
    expect(list.status).toBe(200);
    expect(list.body.data).toEqual([{ id: created.body.id, name: 'laptop', created_at: expect.any(String), last_used_at: expect.any(String), expires_at: created.body.expires_at }]);
    expect(JSON.stringify(list.body)).not.toContain(token);

    // Someone else's token is not found, not revoked.
    const adminToken = await s.ctx.auth.createToken(ADMIN.email, 'admin');
    const others = await call(s.url, 'GET', '/api/auth/tokens', { token: adminToken });
    const adminTokenId = others.body.data[0].id;
    expect((await call(s.url, 'DELETE', `/api/auth/tokens/${adminTokenId}`, { headers: session })).status).toBe(404);
    expect((await call(s.url, 'GET', '/api/auth/me', { token: adminToken })).status).toBe(200);

    expect((await call(s.url, 'DELETE', `/api/auth/tokens/${created.body.id}`, { headers: session })).status).toBe(204);
    expect((await call(s.url, 'GET', '/api/auth/me', { token })).status).toBe(401);
    expect((await call(s.url, 'GET', '/api/auth/tokens', { headers: session })).body.data).toEqual([]);
  });

  it('refuses bad token requests with a clear 4xx and changes nothing', async () => {
    const session = await signIn(s.url, MEMBER);
    const bad = await call(s.url, 'POST', '/api/auth/tokens', { headers: session, body: { name: '', expiresInDays: 0 } });
    expect(bad.status).toBe(422);
    expect(bad.body.details.map((d: { field: string }) => d.field).sort()).toEqual(['expiresInDays', 'name']);
    // Without the XSRF header (a cross-site form), and with a token instead of a session.
    expect((await call(s.url, 'POST', '/api/auth/tokens', { headers: { cookie: session.cookie }, body: { name: 'x' } })).status).toBe(403);
    const token = await s.ctx.auth.createToken(MEMBER.email, 'script');
    const minted = await call(s.url, 'POST', '/api/auth/tokens', { token, body: { name: 'successor' } });
    expect(minted).toMatchObject({ status: 403, body: { error: 'session_required' } });
    expect((await call(s.url, 'DELETE', '/api/auth/tokens/abc', { headers: session })).status).toBe(404);
    expect((await call(s.url, 'GET', '/api/auth/tokens')).status).toBe(401);
    expect((await call(s.url, 'GET', '/api/auth/tokens', { headers: session })).body.data.map((t: { name: string }) => t.name)).toEqual(['script']);

    for (let i = 0; i < 4; i++) expect((await call(s.url, 'POST', '/api/auth/tokens', { headers: session, body: { name: `t${i}` } })).status).toBe(201);
    const over = await call(s.url, 'POST', '/api/auth/tokens', { headers: session, body: { name: 'sixth' } });
    expect(over).toMatchObject({ status: 409, body: { error: 'too_many_tokens' } });
  });

  it('signs the user out everywhere and revokes their tokens when the password changes', async () => {
    const who = { email: 'changes@example.com', password: 'first-password' };
    await s.ctx.auth.addUser(who.email, who.password, 'member');
    const session = await signIn(s.url, who);
    const token = (await call(s.url, 'POST', '/api/auth/tokens', { headers: session, body: { name: 'before' } })).body.token;
    expect((await call(s.url, 'GET', '/api/auth/me', { token })).status).toBe(200);
    await s.ctx.auth.setPassword(who.email, 'second-password');
    expect((await call(s.url, 'GET', '/api/auth/me', { headers: session })).status).toBe(401);
    expect((await call(s.url, 'GET', '/api/auth/me', { token })).status).toBe(401);
    await signIn(s.url, { email: who.email, password: 'second-password' });
  });
});

describe('sign-in limit per client address', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('sqlite', { LOGIN_RATE_LIMIT_PER_MINUTE: '8' });
  });
  afterAll(() => s?.close());

  it('answers 429 with Retry-After once an address has tried too often, whatever the account', async () => {
    const statuses = [];
    for (let i = 0; i < 10; i++) {
      const r = await call(s.url, 'POST', '/api/auth/login', { body: { email: `user${i}@example.com`, password: 'wrong' } });
      statuses.push(r.status);
      if (r.status === 429) {
        expect(r.body).toMatchObject({ error: 'rate_limited', message: expect.stringMatching(/this address/) });
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      }
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 401, 401, 429, 429]);
    // Even the admin's right password, from this address.
    expect((await call(s.url, 'POST', '/api/auth/login', { body: ADMIN })).status).toBe(429);
  });
});
