import { describe, expect, it } from 'vitest';
import { channelKind, checkProtocolVersion, closeReason, connectionEstablished, encodeEvent, isValidChannelName, parseClientMessage, subscriptionError } from './protocol.ts';

describe('client message parsing', () => {
  it('reads the protocol events, with data as an object or a JSON string', () => {
    expect(parseClientMessage('{"event":"pusher:ping","data":{}}')).toEqual({ ok: true, message: { kind: 'ping' } });
    expect(parseClientMessage('{"event":"pusher:subscribe","data":{"channel":"private-a","auth":"k:s"}}')).toEqual({
      ok: true,
      message: { kind: 'subscribe', channel: 'private-a', auth: 'k:s', channelData: undefined },
    });
    expect(parseClientMessage(JSON.stringify({ event: 'pusher:unsubscribe', data: JSON.stringify({ channel: 'news' }) }))).toEqual({
      ok: true,
      message: { kind: 'unsubscribe', channel: 'news' },
    });
    expect(parseClientMessage('{"event":"client-typing","channel":"private-a","data":{"x":1}}')).toEqual({
      ok: true,
      message: { kind: 'client-event', event: 'client-typing', channel: 'private-a', data: { x: 1 } },
    });
    expect(parseClientMessage('{"event":"pusher:signin","data":{"auth":"k:s","user_data":"{}"}}')).toEqual({ ok: true, message: { kind: 'signin', auth: 'k:s', userData: '{}' } });
    expect(parseClientMessage('{"event":"pusher:cache_miss","data":{}}')).toEqual({ ok: true, message: { kind: 'unsupported', event: 'pusher:cache_miss' } });
  });

  it('reads channel_data and auth null as absent (bug 1: clients send null on every private subscribe)', () => {
    expect(parseClientMessage('{"event":"pusher:subscribe","data":{"channel":"private-a","auth":"k:s","channel_data":null}}')).toEqual({
      ok: true,
      message: { kind: 'subscribe', channel: 'private-a', auth: 'k:s', channelData: undefined },
    });
    expect(parseClientMessage('{"event":"pusher:subscribe","data":{"channel":"news","auth":null}}')).toMatchObject({ ok: true, message: { auth: undefined } });
  });

  it('refuses a subscribe naming a channel with that channel, so the answer can be its subscription_error (bug 2)', () => {
    expect(parseClientMessage('{"event":"pusher:subscribe","data":{"channel":"bad name"}}')).toEqual({ ok: false, channel: 'bad name', type: 'InvalidChannel', error: 'pusher:subscribe: invalid channel name' });
    expect(parseClientMessage('{"event":"pusher:subscribe","data":{"channel":"presence-a","auth":"k:s","channel_data":{"user_id":1}}}')).toMatchObject({ ok: false, channel: 'presence-a', type: 'InvalidChannelData' });
    expect(parseClientMessage('{"event":"pusher:subscribe","data":{}}')).toEqual({ ok: false, error: 'pusher:subscribe: invalid channel name' });
  });

  it('refuses what is not a well-formed protocol message', () => {
    for (const bad of ['', 'nope', '[]', 'null', '42', '{}', '{"event":1}', '{"event":"pusher:subscribe"}', '{"event":"pusher:subscribe","data":{"channel":"has space"}}',
      '{"event":"pusher:subscribe","data":{"channel":"a","auth":5}}', '{"event":"my-event","channel":"a","data":{}}', '{"event":"client-x","channel":"","data":{}}']) {
      expect(parseClientMessage(bad).ok, bad).toBe(false);
    }
  });

  it('checks channel names and kinds as Pusher does', () => {
    expect(isValidChannelName('private-App.Models.User.12')).toBe(true);
    expect(isValidChannelName('a'.repeat(201))).toBe(false);
    // Valid for the HTTP API and pusher-js's own subscribe after sign-in; the server checks who.
    expect(isValidChannelName('#server-to-user-1')).toBe(true);
    expect(isValidChannelName('#server-to-user-')).toBe(false);
    expect(isValidChannelName('#other')).toBe(false);
    expect(channelKind('#server-to-user-1')).toBe('user');
    expect(channelKind('private-encrypted-x')).toBe('encrypted');
    expect(channelKind('private-x')).toBe('private');
    expect(channelKind('presence-x')).toBe('presence');
    expect(channelKind('x')).toBe('public');
  });

  it('accepts protocol versions 5 to 7 only', () => {
    expect(checkProtocolVersion('7')).toEqual({ ok: true });
    expect(checkProtocolVersion(null)).toMatchObject({ ok: false, code: 4008 });
    expect(checkProtocolVersion('seven')).toMatchObject({ ok: false, code: 4006 });
    expect(checkProtocolVersion('8')).toMatchObject({ ok: false, code: 4007 });
  });
});

describe('server messages', () => {
  it('double-encode data, as the protocol does', () => {
    const frame = JSON.parse(connectionEstablished('1.2', 120));
    expect(typeof frame.data).toBe('string');
    expect(JSON.parse(frame.data)).toEqual({ socket_id: '1.2', activity_timeout: 120 });
    expect(JSON.parse(encodeEvent('e', 'c', '{"a":1}'))).toEqual({ event: 'e', channel: 'c', data: '{"a":1}' });
    expect(JSON.parse(JSON.parse(subscriptionError('c', 'AuthError', 'no', 401)).data)).toEqual({ type: 'AuthError', error: 'no', status: 401 });
  });
});

describe('close reasons', () => {
  it('fit the 123 bytes ws allows, cut between characters', () => {
    expect(closeReason('Over capacity')).toBe('Over capacity');
    const cut = closeReason(`Application does not exist: ${'त'.repeat(60)}`);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(123);
    expect(cut).toMatch(/^Application does not exist: त+$/);
    expect(Buffer.byteLength(closeReason('😀'.repeat(40)))).toBe(120);
  });
});
