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

/** Standard Webhooks keys are `whsec_<base64>`; anything else is used as its UTF-8 bytes. */
function keyBytes(secret: string): Buffer {
  return secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
}

/**
 * Checks a delivery's signature against every configured secret (rotation), in constant time.
 * Scheme 1 (the spec's): `X-Webhook-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`.
 * Scheme 2: Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`),
 * whose timestamp must be within the tolerance. Pure: the clock is a parameter.
 */
export function verifySignature(raw: Buffer, headers: Headers, secrets: readonly string[], nowMs: number, toleranceSeconds: number): Verification {
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
  const ok = secrets.some((s) => {
    const expected = createHmac('sha256', keyBytes(s)).update(signed).digest();
    return given.some((g) => safeEqual(expected, g));
  });
  return ok ? { ok: true, scheme: 'standard', idempotencyKey: `webhook-id:${id}` } : { ok: false, reason: 'signature does not match' };
}

/** For clients and tests: the spec's header value for a body. */
export function signBody(raw: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}
