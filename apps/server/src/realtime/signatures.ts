import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The two signatures of the Pusher protocol, both HMAC-SHA256 with the app secret:
 * - channel auth: `<key>:<hex HMAC(socket_id:channel[:channel_data])>`, made by /broadcasting/auth
 *   and checked when a socket subscribes to a private or presence channel;
 * - HTTP API requests: HMAC over `METHOD\nPATH\nsorted query` with `body_md5` binding the body.
 */

export interface AppCredentials {
  id: string;
  key: string;
  secret: string;
}

const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text, 'utf8').digest('hex');

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export function signChannel(app: AppCredentials, socketId: string, channel: string, channelData?: string): string {
  const text = channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
  return `${app.key}:${hmac(app.secret, text)}`;
}

export function verifyChannelAuth(app: AppCredentials, socketId: string, channel: string, auth: string | undefined, channelData?: string): boolean {
  if (!auth) return false;
  return safeEqual(auth, signChannel(app, socketId, channel, channelData));
}

/** User sign-in (`pusher:signin`): `<key>:<hex HMAC(socket_id::user::user_data)>`, as the SDKs' `authenticateUser`. */
export function signUser(app: AppCredentials, socketId: string, userData: string): string {
  return `${app.key}:${hmac(app.secret, `${socketId}::user::${userData}`)}`;
}

export function verifyUserAuth(app: AppCredentials, socketId: string, auth: string, userData: string): boolean {
  return safeEqual(auth, signUser(app, socketId, userData));
}

/** `X-Pusher-Signature` of a webhook to the application: hex HMAC of the exact body. */
export const signWebhook = (app: AppCredentials, body: string) => hmac(app.secret, body);

export const bodyMd5 = (body: string | Buffer) => createHash('md5').update(body).digest('hex');

/** The string a request signature covers: keys lowercased and sorted, `auth_signature` left out. */
export function requestStringToSign(method: string, path: string, query: Record<string, string>): string {
  const pairs = Object.entries(query)
    .filter(([k]) => k.toLowerCase() !== 'auth_signature')
    .map(([k, v]) => [k.toLowerCase(), v] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  return `${method.toUpperCase()}\n${path}\n${pairs.join('&')}`;
}

export function signRequest(app: AppCredentials, method: string, path: string, query: Record<string, string>): string {
  return hmac(app.secret, requestStringToSign(method, path, query));
}

export type RequestCheck = { ok: true } | { ok: false; status: 401; error: string };

/** Pusher accepts a request signed within 600 s of its clock, either side. */
export const TIMESTAMP_TOLERANCE_S = 600;

export function verifyRequest(
  app: AppCredentials,
  req: { method: string; path: string; query: Record<string, string>; body: string | Buffer | undefined },
  nowMs: number = Date.now(),
): RequestCheck {
  const q = req.query;
  const deny = (error: string): RequestCheck => ({ ok: false, status: 401, error });
  if (q.auth_key !== app.key) return deny('Unknown auth_key');
  if (q.auth_version !== undefined && q.auth_version !== '1.0') return deny('Unsupported auth_version');
  const ts = Number(q.auth_timestamp);
  if (!q.auth_timestamp || !Number.isFinite(ts)) return deny('Missing auth_timestamp');
  if (Math.abs(nowMs / 1000 - ts) > TIMESTAMP_TOLERANCE_S) return deny(`Timestamp expired: auth_timestamp must be within ${TIMESTAMP_TOLERANCE_S} s of the server time`);
  const hasBody = req.body !== undefined && req.body.length > 0;
  if (hasBody) {
    if (!q.body_md5) return deny('Missing body_md5');
    if (!safeEqual(q.body_md5, bodyMd5(req.body!))) return deny('body_md5 does not match the body');
  }
  if (!q.auth_signature) return deny('Missing auth_signature');
  if (!safeEqual(q.auth_signature, signRequest(app, req.method, req.path, q))) return deny('Invalid signature');
  return { ok: true };
}
