import { Clipboard } from '@angular/cdk/clipboard';
import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { MATERIAL_ANIMATIONS } from '@angular/material/core';
import type { ApiToken } from '@slipway/contracts';
import { TokensPage } from './tokens.page';

describe('TokensPage', () => {
  let http: HttpTestingController;

  function open() {
    TestBed.configureTestingModule({
      imports: [TokensPage],
      // Dialogs close at once, without waiting for an exit animation jsdom never plays.
      providers: [provideHttpClient(), provideHttpClientTesting(), { provide: MATERIAL_ANIMATIONS, useValue: { animationsDisabled: true } }],
    });
    http = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(TokensPage);
    fixture.detectChanges();
    return fixture;
  }
  afterEach(() => http.verify());

  const settle = async (f: { detectChanges(): void; whenStable(): Promise<unknown> }) => {
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r));
      f.detectChanges();
      await f.whenStable();
    }
  };
  const rows = (el: HTMLElement) =>
    [...el.querySelectorAll('[data-testid=token-row]')].map((r) => [...r.querySelectorAll('td')].slice(0, 4).map((td) => td.textContent!.trim()));
  const token = (t: Partial<ApiToken>): ApiToken => ({ id: 1, name: 'laptop', created_at: '2026-01-02T10:00:00Z', last_used_at: null, expires_at: null, ...t });

  it('lists tokens with their dates, "never" for no use or no expiry, and marks expired ones', async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    http.expectOne('/api/auth/tokens').flush({
      data: [token({ id: 2, name: 'ci', last_used_at: '2026-01-03T08:00:00Z', expires_at: '2026-01-04T00:00:00Z' }), token({ id: 1 })],
    });
    await settle(fixture);
    const [ci, laptop] = rows(el);
    expect(ci![0]).toBe('ci');
    expect(ci![2]).toMatch(/2026/);
    expect(ci![3]).toMatch(/^expired .*2026/);
    expect(laptop!.slice(2)).toEqual(['never', 'never']);
    expect(el.textContent).not.toContain('slp_');
  });

  it('creates a token, shows its value once with a copy button, and adds it to the list', async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    http.expectOne('/api/auth/tokens').flush({ data: [] });
    await settle(fixture);
    expect(el.textContent).toContain('No tokens yet');

    const name = el.querySelector('input[formcontrolname=name]') as HTMLInputElement;
    (el.querySelector('button[type=submit]') as HTMLButtonElement).click();
    await settle(fixture);
    http.expectNone('/api/auth/tokens'); // no name: nothing sent
    name.value = '  deploy bot ';
    name.dispatchEvent(new Event('input'));
    (el.querySelector('button[type=submit]') as HTMLButtonElement).click();
    const req = http.expectOne({ method: 'POST', url: '/api/auth/tokens' });
    expect(req.request.body).toEqual({ name: 'deploy bot', expiresInDays: 90 });
    const value = `slp_${'a'.repeat(43)}`;
    req.flush({ ...token({ id: 5, name: 'deploy bot', expires_at: '2026-04-02T10:00:00Z' }), token: value }, { status: 201, statusText: 'Created' });
    await settle(fixture);

    expect(el.querySelector('[data-testid=new-token-value]')!.textContent).toBe(value);
    // The form is ready for another token, without flagging its emptied name as an error.
    expect((el.querySelector('input[formcontrolname=name]') as HTMLInputElement).value).toBe('');
    expect(el.querySelector('mat-error')).toBeNull();
    expect(rows(el).map((r) => r[0])).toEqual(['deploy bot']);
    const copy = vi.spyOn(TestBed.inject(Clipboard), 'copy').mockReturnValue(true);
    (el.querySelector('[aria-label="Copy the token"]') as HTMLButtonElement).click();
    expect(copy).toHaveBeenCalledWith(value);

    // Once dismissed, the value is gone from the page for good.
    [...el.querySelectorAll('[data-testid=new-token] button')].find((b) => b.textContent!.includes('Done'))!.dispatchEvent(new Event('click'));
    await settle(fixture);
    expect(el.textContent).not.toContain(value);
  });

  it('revokes a token only after confirmation', async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    http.expectOne('/api/auth/tokens').flush({ data: [token({ id: 3, name: 'old ci' }), token({ id: 1 })] });
    await settle(fixture);
    const revokeButton = () => el.querySelector('[aria-label="Revoke old ci"]') as HTMLButtonElement;

    revokeButton().click();
    await settle(fixture);
    const cancel = [...document.querySelectorAll('mat-dialog-actions button')].find((b) => b.textContent!.includes('Cancel')) as HTMLButtonElement;
    expect(document.querySelector('h2[mat-dialog-title]')!.textContent).toContain('Revoke “old ci”?');
    cancel.click();
    await settle(fixture);
    http.expectNone({ method: 'DELETE' });

    revokeButton().click();
    await settle(fixture);
    (document.querySelector('[data-testid=confirm-revoke]') as HTMLButtonElement).click();
    await settle(fixture);
    http.expectOne({ method: 'DELETE', url: '/api/auth/tokens/3' }).flush(null, { status: 204, statusText: 'No Content' });
    await settle(fixture);
    expect(rows(el).map((r) => r[0])).toEqual(['laptop']);
  });

  it('shows the server\'s reason when a call fails', async () => {
    const fixture = open();
    const el = fixture.nativeElement as HTMLElement;
    http.expectOne('/api/auth/tokens').flush({ data: [] });
    await settle(fixture);
    const name = el.querySelector('input[formcontrolname=name]') as HTMLInputElement;
    name.value = 'one too many';
    name.dispatchEvent(new Event('input'));
    (el.querySelector('button[type=submit]') as HTMLButtonElement).click();
    http
      .expectOne({ method: 'POST', url: '/api/auth/tokens' })
      .flush({ error: 'too_many_tokens', message: 'you have 100 tokens already: revoke one first' }, { status: 409, statusText: 'Conflict' });
    await settle(fixture);
    expect(el.querySelector('[data-testid=tokens-error]')!.textContent).toContain('revoke one first');
    expect(el.querySelector('[data-testid=new-token]')).toBeNull();
  });
});
