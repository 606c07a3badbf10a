import type { HttpInterceptorFn } from '@angular/common/http';

/** A signed-in session on the test server, as the browser would hold it (cookies + XSRF token). */
export interface TestSession {
  base: string;
  cookie: string;
  csrf: string;
  user: { id: number; email: string; role: 'admin' | 'member' };
}

export async function signIn(base: string, email: string, password: string): Promise<TestSession> {
  const r = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!r.ok) throw new Error(`sign-in failed: ${r.status} ${await r.text()}`);
  const body = (await r.json()) as { user: TestSession['user']; csrf_token: string };
  const cookie = r.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  return { base, cookie, csrf: body.csrf_token, user: body.user };
}

/**
 * What the page's origin and cookie jar do in a browser: relative URLs go to the test server, with
 * the session cookie and the XSRF header (Node's fetch has no cookie jar and no same-origin).
 */
export function sessionInterceptor(s: TestSession): HttpInterceptorFn {
  return (req, next) =>
    next(req.url.startsWith('/') ? req.clone({ url: s.base + req.url, setHeaders: { cookie: s.cookie, 'x-xsrf-token': s.csrf } }) : req);
}
