import type { HttpInterceptorFn } from '@angular/common/http';
import Pusher from 'pusher-js';

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

/** Another browser tab of the session `s`: pusher-js on the test server, authorising channels with its cookie. */
export async function sessionPusher(s: TestSession): Promise<Pusher> {
  const { realtime } = (await (await fetch(`${s.base}/api/config`)).json()) as { realtime: { key: string } };
  return new Pusher(realtime.key, {
    cluster: 'mt1',
    wsHost: new URL(s.base).hostname,
    wsPort: Number(new URL(s.base).port),
    forceTLS: false,
    enabledTransports: ['ws'],
    channelAuthorization: {
      endpoint: '/broadcasting/auth',
      transport: 'ajax',
      customHandler: ({ socketId, channelName }, callback) => {
        fetch(`${s.base}/broadcasting/auth`, {
          method: 'POST',
          headers: { cookie: s.cookie, 'x-xsrf-token': s.csrf, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ socket_id: socketId, channel_name: channelName }),
        }).then(
          async (r) => (r.ok ? callback(null, await r.json()) : callback(new Error(`auth ${r.status}`), null)),
          (err: Error) => callback(err, null),
        );
      },
    },
  });
}
