import { describe, expect, it } from 'vitest';
import Pusher from 'pusher';
import { bodyMd5, requestStringToSign, signChannel, signRequest, verifyChannelAuth, verifyRequest } from './signatures.ts';

const app = { id: '42', key: 'the-key', secret: 'the-secret' };
const sdk = new Pusher({ appId: app.id, key: app.key, secret: app.secret, cluster: 'mt1' });

describe('channel auth signatures', () => {
  it('match the official SDK', () => {
    expect({ auth: signChannel(app, '1234.5678', 'private-App.Models.User.1') }).toEqual(sdk.authorizeChannel('1234.5678', 'private-App.Models.User.1'));
    const presence = sdk.authorizeChannel('1.2', 'presence-room', { user_id: '7' });
    expect(signChannel(app, '1.2', 'presence-room', presence.channel_data)).toBe(presence.auth);
  });

  it('verify only for the same socket, channel and secret', () => {
    const auth = signChannel(app, '1.2', 'private-a');
    expect(verifyChannelAuth(app, '1.2', 'private-a', auth)).toBe(true);
    expect(verifyChannelAuth(app, '1.3', 'private-a', auth)).toBe(false);
    expect(verifyChannelAuth(app, '1.2', 'private-b', auth)).toBe(false);
    expect(verifyChannelAuth({ ...app, secret: 'other' }, '1.2', 'private-a', auth)).toBe(false);
    expect(verifyChannelAuth(app, '1.2', 'private-a', undefined)).toBe(false);
  });
});

describe('HTTP API request signatures', () => {
  const now = 1_700_000_000_000;
  const body = '{"name":"e","channels":["a"],"data":"{}"}';
  const signed = (query: Record<string, string>) => ({ ...query, auth_signature: signRequest(app, 'POST', '/apps/42/events', query) });
  const base = { auth_key: app.key, auth_timestamp: String(now / 1000), auth_version: '1.0', body_md5: bodyMd5(body) };

  it('sorts lowercased keys and leaves the signature out', () => {
    expect(requestStringToSign('post', '/p', { b: '2', A: '1', auth_signature: 'x' })).toBe('POST\n/p\na=1&b=2');
  });

  it('accepts a good request and refuses each kind of bad one', () => {
    const req = (query: Record<string, string>, b = body) => verifyRequest(app, { method: 'POST', path: '/apps/42/events', query, body: b }, now);
    expect(req(signed(base))).toEqual({ ok: true });
    expect(req(signed({ ...base, auth_timestamp: String(now / 1000 - 601) }))).toMatchObject({ ok: false, status: 401 });
    expect(req(signed({ ...base, auth_timestamp: String(now / 1000 + 601) }))).toMatchObject({ ok: false });
    expect(req(signed(base), body + ' ')).toMatchObject({ ok: false, error: /body_md5/ });
    expect(req({ ...signed(base), auth_signature: 'f'.repeat(64) })).toMatchObject({ ok: false, error: 'Invalid signature' });
    expect(req(signed({ ...base, auth_key: 'other' }))).toMatchObject({ ok: false, error: /auth_key/ });
    const { body_md5: _, ...noMd5 } = base;
    expect(req(signed(noMd5))).toMatchObject({ ok: false, error: /body_md5/ });
  });
});
