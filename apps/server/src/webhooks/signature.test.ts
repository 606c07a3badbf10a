import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret } from '../config/secrets.ts';
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

describe('keys', () => {
  it('never accepts a signature made with an empty key, whatever the configuration holds', () => {
    expect(verifySignature(body, { 'x-webhook-signature': signBody(body, '') }, ['', 'real-secret-0123456789'], NOW, 300)).toMatchObject({ ok: false });
    expect(verifySignature(body, { 'x-webhook-signature': signBody(body, '') }, [''], NOW, 300)).toMatchObject({ ok: false });
    // `whsec_` with nothing (or no base64) after it decodes to no key at all.
    for (const secret of ['whsec_', 'whsec_!!!!']) {
      const emptyKeySig = createHmac('sha256', Buffer.alloc(0)).update(`msg_e.${NOW / 1000}.${body.toString()}`).digest('base64');
      const h = { 'webhook-id': 'msg_e', 'webhook-timestamp': String(NOW / 1000), 'webhook-signature': `v1,${emptyKeySig}` };
      expect(verifySignature(body, h, [secret], NOW, 300)).toMatchObject({ ok: false });
    }
  });

  it('keys a long webhook-id by its hash, so it fits the idempotency column', () => {
    const id = `msg_${'x'.repeat(5000)}`;
    const v = verifySignature(body, standardHeaders('plain', id), ['plain'], NOW, 300);
    expect(v.ok && v.idempotencyKey).toMatch(/^webhook-id-sha256:[0-9a-f]{64}$/);
  });
});

describe('interop with the official standardwebhooks library (its defaults)', () => {
  const libraryHeaders = (secret: string, id: string) => {
    const wh = new Webhook(secret);
    return { 'webhook-id': id, 'webhook-timestamp': String(NOW / 1000), 'webhook-signature': wh.sign(id, new Date(NOW), body.toString()) };
  };

  it('accepts deliveries signed with a whsec_ secret from `slipway secret --format whsec`', () => {
    const secret = newWebhookSecret('whsec');
    expect(verifySignature(body, libraryHeaders(secret, 'msg_w'), [secret], NOW, 300)).toMatchObject({ ok: true, scheme: 'standard' });
    expect(verifySignature(body, libraryHeaders(newWebhookSecret('whsec'), 'msg_x'), [secret], NOW, 300)).toMatchObject({ ok: false });
  });

  it('accepts deliveries signed with the 64-hex secret of `slipway secret` (the library reads it as base64)', () => {
    const secret = newWebhookSecret('hex');
    expect(verifySignature(body, libraryHeaders(secret, 'msg_h'), [secret], NOW, 300)).toMatchObject({ ok: true, scheme: 'standard' });
  });

  it('derives the same key from a whsec_ secret as the library: it accepts what that key signs', () => {
    const secret = newWebhookSecret('whsec');
    // The library checks the timestamp against its own clock: sign with a current one.
    const now = String(Math.floor(Date.now() / 1000));
    const sig = createHmac('sha256', Buffer.from(secret.slice(6), 'base64')).update(`msg_r.${now}.${body.toString()}`).digest('base64');
    const h = { 'webhook-id': 'msg_r', 'webhook-timestamp': now, 'webhook-signature': `v1,${sig}` };
    expect(verifySignature(body, h, [secret], Number(now) * 1000, 300)).toMatchObject({ ok: true });
    expect(() => new Webhook(secret).verify(body.toString(), h)).not.toThrow();
  });
});
