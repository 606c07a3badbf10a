import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from './signature.ts';

const body = Buffer.from('{"status":"done"}');
const NOW = 1_800_000_000_000;

function standardHeaders(secret: string, id = 'msg_1', ts = String(NOW / 1000)) {
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret);
  const sig = createHmac('sha256', key).update(`${id}.${ts}.${body.toString()}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': `v1,${sig}` };
}

describe('verifySignature', () => {
  it('accepts the spec scheme with any configured secret (rotation)', () => {
    const h = { 'x-webhook-signature': signBody(body, 'new') };
    expect(verifySignature(body, h, ['old', 'new'], NOW, 300)).toMatchObject({ ok: true, scheme: 'hmac' });
    expect(verifySignature(body, h, ['old'], NOW, 300)).toEqual({ ok: false, reason: 'signature does not match' });
  });

  it('refuses a signature over other bytes, a malformed header, or no header at all', () => {
    const h = { 'x-webhook-signature': signBody(Buffer.from('{"status":"done" }'), 's') };
    expect(verifySignature(body, h, ['s'], NOW, 300).ok).toBe(false);
    expect(verifySignature(body, { 'x-webhook-signature': 'sha1=abc' }, ['s'], NOW, 300)).toMatchObject({ ok: false, reason: expect.stringContaining('sha256=') });
    expect(verifySignature(body, {}, ['s'], NOW, 300)).toMatchObject({ ok: false, reason: expect.stringContaining('missing signature') });
    expect(verifySignature(body, { 'x-webhook-signature': signBody(body, 's') }, [], NOW, 300)).toMatchObject({ ok: false });
  });

  it('keys idempotency on the body for the spec scheme and on webhook-id for Standard Webhooks', () => {
    const a = verifySignature(body, { 'x-webhook-signature': signBody(body, 's') }, ['s'], NOW, 300);
    const b = verifySignature(body, standardHeaders('s'), ['s'], NOW, 300);
    expect(a.ok && a.idempotencyKey).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(b.ok && b.idempotencyKey).toBe('webhook-id:msg_1');
  });

  it('accepts Standard Webhooks, with whsec_ keys too, inside the tolerance only', () => {
    const whsec = `whsec_${Buffer.from('binary-key').toString('base64')}`;
    expect(verifySignature(body, standardHeaders('plain'), ['plain'], NOW, 300)).toMatchObject({ ok: true, scheme: 'standard' });
    expect(verifySignature(body, standardHeaders(whsec), [whsec], NOW, 300)).toMatchObject({ ok: true });
    const old = standardHeaders('plain', 'msg_2', String(NOW / 1000 - 301));
    expect(verifySignature(body, old, ['plain'], NOW, 300)).toEqual({ ok: false, reason: 'webhook-timestamp is outside the tolerance' });
    const partial = { 'webhook-id': 'x' };
    expect(verifySignature(body, partial, ['plain'], NOW, 300)).toMatchObject({ ok: false, reason: expect.stringContaining('needs') });
  });
});
