import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter, Router } from '@angular/router';
import { AuthService } from '../../core/auth.service';
import { SignInPage } from './sign-in.page';

describe('SignInPage', () => {
  let http: HttpTestingController;

  async function setup() {
    TestBed.configureTestingModule({
      imports: [SignInPage],
      providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([{ path: '**', children: [] }])],
    });
    http = TestBed.inject(HttpTestingController);
    const fixture = TestBed.createComponent(SignInPage);
    fixture.componentRef.setInput('returnUrl', '/deployments?deployment=4');
    fixture.detectChanges();
    return fixture;
  }
  const settle = async (f: { detectChanges(): void; whenStable(): Promise<unknown> }) => {
    await new Promise((r) => setTimeout(r));
    f.detectChanges();
    await f.whenStable();
  };
  const fill = (el: HTMLElement, email: string, password: string) => {
    for (const [sel, v] of [['input[type=email]', email], ['input[autocomplete=current-password]', password]] as const) {
      const i = el.querySelector(sel) as HTMLInputElement;
      i.value = v;
      i.dispatchEvent(new Event('input'));
    }
  };

  it('signs in and goes back where the person was', async () => {
    const fixture = await setup();
    http.expectOne('/api/auth/me').flush({ error: 'unauthenticated' }, { status: 401, statusText: 'Unauthorized' });
    await settle(fixture);
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigateByUrl');
    const el = fixture.nativeElement as HTMLElement;
    fill(el, 'admin@example.com', 'secret-123');
    (el.querySelector('button[type=submit]') as HTMLButtonElement).click();
    const req = http.expectOne('/api/auth/login');
    expect(req.request.body).toEqual({ email: 'admin@example.com', password: 'secret-123' });
    req.flush({ user: { id: 1, email: 'admin@example.com', role: 'admin' }, csrf_token: 't' });
    await settle(fixture);
    expect(TestBed.inject(AuthService).user()?.id).toBe(1);
    expect(navigate).toHaveBeenCalledWith('/deployments?deployment=4');
  });

  it('says when the password is wrong, and when the server is down', async () => {
    const fixture = await setup();
    http.expectOne('/api/auth/me').error(new ProgressEvent('error'), { status: 0 });
    await settle(fixture);
    const el = fixture.nativeElement as HTMLElement;
    expect(el.textContent).toContain('Cannot reach the Slipway server');
    fill(el, 'admin@example.com', 'nope');
    (el.querySelector('button[type=submit]') as HTMLButtonElement).click();
    http.expectOne('/api/auth/login').flush({ error: 'invalid_credentials', message: 'wrong email or password' }, { status: 401, statusText: 'Unauthorized' });
    await settle(fixture);
    expect(el.querySelector('[data-testid=sign-in-error]')!.textContent).toContain('Wrong email or password');
  });

  it('says how long to wait when the account is locked, not that the password is wrong', async () => {
    const fixture = await setup();
    http.expectOne('/api/auth/me').flush({ error: 'unauthenticated' }, { status: 401, statusText: 'Unauthorized' });
    await settle(fixture);
    const el = fixture.nativeElement as HTMLElement;
    fill(el, 'admin@example.com', 'secret-123');
    (el.querySelector('button[type=submit]') as HTMLButtonElement).click();
    http
      .expectOne('/api/auth/login')
      .flush(
        { error: 'too_many_attempts', message: 'too many failed sign-ins for this account; try again in 42 s' },
        { status: 429, statusText: 'Too Many Requests', headers: { 'retry-after': '42' } },
      );
    await settle(fixture);
    const error = el.querySelector('[data-testid=sign-in-error]')!.textContent!;
    expect(error).toContain('try again in 42 s');
    expect(error).not.toContain('Wrong email or password');
  });
});
