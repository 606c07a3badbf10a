import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { inject as provided } from 'vitest';
import { signIn, sessionInterceptor } from '../../testing/slipway-session';
import { TokenService } from './token.service';

/** The page's service against a real `slipway start`: the cookie session, its XSRF header, the real routes. */
describe('TokenService against slipway start', () => {
  const slipway = provided('slipway');

  it('creates a token that works, lists it without its value, and revokes it', async () => {
    const session = await signIn(slipway.url, slipway.email, slipway.password);
    TestBed.configureTestingModule({ providers: [provideHttpClient(withFetch(), withInterceptors([sessionInterceptor(session)]))] });
    const tokens = TestBed.inject(TokenService);
    const me = (token: string) => fetch(`${slipway.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });

    const created = await tokens.create({ name: 'web spec', expiresInDays: 7 });
    expect(created.token).toMatch(/^slp_/);
    expect((await me(created.token)).status).toBe(200);

    const listed = await tokens.load();
    const mine = listed.find((t) => t.id === created.id)!;
    expect(mine).toMatchObject({ name: 'web spec', expires_at: created.expires_at, last_used_at: expect.any(String) });
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(TokenService.isExpired(mine)).toBe(false);

    await tokens.revoke(created.id);
    expect(tokens.tokens().some((t) => t.id === created.id)).toBe(false);
    expect((await me(created.token)).status).toBe(401);
  });
});
