import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type Headers = Record<string, string | string[] | undefined>;

export type Verification =
  | { ok: true; scheme: 'hmac' | 'standard'; idempotencyKey: string }
  | { ok: false; reason: string };

function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The HMAC keys a secret stands for under Standard Webhooks. `whsec_<base64>`: the decoded bytes,
 * as the spec and its official libraries read it. Any other secret: its UTF-8 bytes (what Slipway
 * always took), and also, when it is base64 (a 64-hex secret is), the decoded bytes, since the
 * official libraries decode any secret that way by default. Both come from the same secret, so
 * accepting either gives a forger nothing. Never an empty key.
 */
function standardKeys(secret: string): Buffer[] {
  if (secret.startsWith('whsec_')) {
    const b64 = secret.slice(6);
    return BASE64.test(b64) && b64.length > 0 ? [Buffer.from(b64, 'base64')] : [];
  }
  const keys = [Buffer.from(secret, 'utf8')];
  if (BASE64.test(secret)) keys.push(Buffer.from(secret, 'base64'));
  return keys.filter((k) => k.length > 0);
}

/** The longest `webhook-id` used as it is in an idempotency key (the column holds 200 characters). */
const MAX_PLAIN_ID = 150;

/**
 * Checks a delivery's signature against every configured secret (rotation), in constant time.
 * Scheme 1 (the spec's): `X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`, keyed
 * with the secret's text whatever its format, as `openssl dgst -hmac` does.
 * Scheme 2: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`),
 * keyed as `standardKeys` says, whose timestamp must be within the tolerance. Pure: the clock is a
 * parameter.
 */
export function verifySignature(raw: Buffer, headers: Headers, configured: readonly string[], nowMs: number, toleranceSeconds: number): Verification {
  // An empty key would let anyone sign: never one, whatever the configuration let through.
  const secrets = configured.some((s) => s.length === 0) ? configured.filter((s) => s.length > 0) : configured;
  if (secrets.length === 0) return { ok: false, reason: 'no webhook secret is configured' };
  const legacy = header(headers, 'x-webhook-signature');
  if (legacy !== undefined) {
    const m = /^(?:sha256=)?([0-9a-f]{64})$/i.exec(legacy.trim());
    if (!m) return { ok: false, reason: 'X-Webhook-Signature must be sha256=<64 hex digits>' };
    const given = Buffer.from(m[1]!.toLowerCase(), 'hex');
    const ok = secrets.some((s) => safeEqual(createHmac('sha256', s).update(raw).digest(), given));
    return ok
      ? { ok: true, scheme: 'hmac', idempotencyKey: `sha256:${createHash('sha256').update(raw).digest('hex')}` }
      : { ok: false, reason: 'signature does not match' };
  }

  const id = header(headers, 'webhook-id');
  const ts = header(headers, 'webhook-timestamp');
  const sig = header(headers, 'webhook-signature');
  if (id === undefined && ts === undefined && sig === undefined) {
    return { ok: false, reason: 'missing signature: send X-Webhook-Signature (or Standard Webhooks headers)' };
  }
  if (!id || !ts || !sig) return { ok: false, reason: 'Standard Webhooks needs webhook-id, webhook-timestamp and webhook-signature' };
  if (!/^\d{1,12}$/.test(ts)) return { ok: false, reason: 'webhook-timestamp must be Unix seconds' };
  if (Math.abs(nowMs / 1000 - Number(ts)) > toleranceSeconds) return { ok: false, reason: 'webhook-timestamp is outside the tolerance' };
  const signed = Buffer.concat([Buffer.from(`${id}.${ts}.`, 'utf8'), raw]);
  const given = sig
    .split(' ')
    .filter((p) => p.startsWith('v1,'))
    .map((p) => Buffer.from(p.slice(3), 'base64'));
  const ok = secrets.some((s) =>
    standardKeys(s).some((key) => {
      const expected = createHmac('sha256', key).update(signed).digest();
      return given.some((g) => safeEqual(expected, g));
    }),
  );
  if (!ok) return { ok: false, reason: 'signature does not match' };
  const idempotencyKey = id.length <= MAX_PLAIN_ID ? `webhook-id:${id}` : `webhook-id-sha256:${createHash('sha256').update(id).digest('hex')}`;
  return { ok: true, scheme: 'standard', idempotencyKey };
}

/** For clients and tests: the spec's header value for a body. */
export function signBody(raw: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}
