/**
 * Pusher protocol 7 messages: parsing and validating what a client sends, and encoding what the
 * server sends. Pure: no sockets here, so every rule is tested by feeding strings in.
 *
 * Server → client messages carry `data` as a JSON *string* ("double-encoded"), as the protocol does;
 * `pusher:error` carries an object, as Pusher's own servers send it.
 */

export const PROTOCOL_VERSION = 7;
export const MIN_PROTOCOL_VERSION = 5;
/** Pusher's limits on names. */
export const MAX_CHANNEL_NAME = 200;
export const MAX_EVENT_NAME = 200;
const CHANNEL_NAME = /^[A-Za-z0-9_\-=@,.;]+$/;

export type ChannelKind = 'public' | 'private' | 'presence' | 'encrypted' | 'user';

/** The channel pusher-js's user sign-in follows, and `sendToUser` publishes to (not subscribable). */
export const USER_CHANNEL_PREFIX = '#server-to-user-';

export function channelKind(name: string): ChannelKind {
  if (name.startsWith(USER_CHANNEL_PREFIX)) return 'user';
  if (name.startsWith('private-encrypted-')) return 'encrypted';
  if (name.startsWith('private-')) return 'private';
  if (name.startsWith('presence-')) return 'presence';
  return 'public';
}

/** Cache channels keep their last event for new subscribers (`cache-`, `private-cache-`, `private-encrypted-cache-`, `presence-cache-`). */
export function isCacheChannel(name: string): boolean {
  return /^(cache-|private-cache-|private-encrypted-cache-|presence-cache-)/.test(name);
}

/** Channels that need a signature to subscribe to. */
export const needsAuth = (name: string) => channelKind(name) !== 'public';

/** `#server-to-user-{id}`: only the HTTP API publishes there; signed-in sockets of that user receive. */
export function isUserChannel(name: unknown): name is string {
  return typeof name === 'string' && name.startsWith(USER_CHANNEL_PREFIX) && isValidUserId(name.slice(USER_CHANNEL_PREFIX.length));
}

/** Pusher's user ids: non-empty strings of name characters, at most 200. */
export function isValidUserId(id: unknown): id is string {
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_CHANNEL_NAME && CHANNEL_NAME.test(id);
}

export function isValidChannelName(name: unknown): name is string {
  if (isUserChannel(name)) return true;
  return typeof name === 'string' && name.length > 0 && name.length <= MAX_CHANNEL_NAME && CHANNEL_NAME.test(name);
}

export function isValidEventName(name: unknown): name is string {
  return typeof name === 'string' && name.length > 0 && name.length <= MAX_EVENT_NAME;
}

export type ClientMessage =
  | { kind: 'ping' }
  | { kind: 'pong' }
  | { kind: 'subscribe'; channel: string; auth: string | undefined; channelData: string | undefined }
  | { kind: 'unsubscribe'; channel: string }
  | { kind: 'client-event'; event: string; channel: string; data: unknown }
  | { kind: 'signin'; auth: string; userData: string }
  /** Another `pusher:` event this server does not implement: ignored, as Pusher does. */
  | { kind: 'unsupported'; event: string };

/**
 * A refused message; `channel` is set when it was a subscribe naming one, so the answer is a
 * `pusher:subscription_error` on that channel (pusher-js then fires `subscription_error`).
 */
export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; error: string; channel?: string; type?: string };

const fail = (error: string): ParseResult => ({ ok: false, error });
const failSubscribe = (channel: unknown, type: string, error: string): ParseResult =>
  typeof channel === 'string' && channel.length > 0 ? { ok: false, error, type, channel: channel.slice(0, MAX_CHANNEL_NAME) } : fail(error);

/** `data` may arrive as an object (pusher-js) or as a JSON string (some clients encode it twice). */
function dataObject(data: unknown): Record<string, unknown> | undefined {
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch {
      return undefined;
    }
  }
  return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
}

export function parseClientMessage(raw: string): ParseResult {
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    return fail('Invalid JSON');
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) return fail('A message must be a JSON object');
  const { event, channel, data } = msg as Record<string, unknown>;
  if (typeof event !== 'string' || event.length === 0) return fail('Missing event name');

  switch (event) {
    case 'pusher:ping':
      return { ok: true, message: { kind: 'ping' } };
    case 'pusher:pong':
      return { ok: true, message: { kind: 'pong' } };
    case 'pusher:subscribe':
    case 'pusher:unsubscribe': {
      const d = dataObject(data);
      if (!d) return fail(`${event}: data must be an object`);
      if (event === 'pusher:unsubscribe') {
        if (!isValidChannelName(d.channel)) return fail(`${event}: invalid channel name`);
        return { ok: true, message: { kind: 'unsubscribe', channel: d.channel } };
      }
      if (!isValidChannelName(d.channel)) return failSubscribe(d.channel, 'InvalidChannel', `${event}: invalid channel name`);
      // Clients (Soketi's, some Echo setups) send null for "none": the same as leaving it out.
      const auth = d.auth ?? undefined;
      const channelData = d.channel_data ?? undefined;
      if (auth !== undefined && typeof auth !== 'string') return failSubscribe(d.channel, 'AuthError', 'pusher:subscribe: auth must be a string');
      if (channelData !== undefined && typeof channelData !== 'string') return failSubscribe(d.channel, 'InvalidChannelData', 'pusher:subscribe: channel_data must be a string');
      return { ok: true, message: { kind: 'subscribe', channel: d.channel, auth, channelData } };
    }
    case 'pusher:signin': {
      const d = dataObject(data);
      if (!d || typeof d.auth !== 'string' || typeof d.user_data !== 'string') return fail('pusher:signin: data must hold auth and user_data strings');
      return { ok: true, message: { kind: 'signin', auth: d.auth, userData: d.user_data } };
    }
  }
  if (event.startsWith('pusher:') || event.startsWith('pusher_internal:')) return { ok: true, message: { kind: 'unsupported', event } };
  if (event.startsWith('client-')) {
    if (!isValidEventName(event)) return fail('Event name too long');
    if (!isValidChannelName(channel)) return fail('Client event: invalid channel name');
    return { ok: true, message: { kind: 'client-event', event, channel, data } };
  }
  return fail(`Unknown event ${JSON.stringify(event.slice(0, 50))}: client events must start with "client-"`);
}

/** Versions this server speaks: 5–7 (pusher-js 8 sends 7). */
export function checkProtocolVersion(param: string | null): { ok: true } | { ok: false; code: 4006 | 4007 | 4008; message: string } {
  if (param === null || param === '') return { ok: false, code: 4008, message: 'No protocol version supplied' };
  if (!/^\d+$/.test(param)) return { ok: false, code: 4006, message: 'Invalid version string format' };
  const v = Number(param);
  if (v < MIN_PROTOCOL_VERSION || v > PROTOCOL_VERSION) return { ok: false, code: 4007, message: `Unsupported protocol version ${v}` };
  return { ok: true };
}

// ---- server → client ------------------------------------------------------------------------

export function encodeEvent(event: string, channel: string | undefined, data: string): string {
  return channel === undefined ? JSON.stringify({ event, data }) : JSON.stringify({ event, channel, data });
}

export const connectionEstablished = (socketId: string, activityTimeout: number) =>
  encodeEvent('pusher:connection_established', undefined, JSON.stringify({ socket_id: socketId, activity_timeout: activityTimeout }));

/** A close reason ws accepts: at most 123 bytes of UTF-8 (longer throws), cut on a character boundary. */
export function closeReason(message: string): string {
  if (Buffer.byteLength(message) <= 123) return message;
  let out = '';
  let bytes = 0;
  for (const ch of message) {
    bytes += Buffer.byteLength(ch);
    if (bytes > 123) break;
    out += ch;
  }
  return out;
}

export const errorMessage = (code: number | null, message: string) => JSON.stringify({ event: 'pusher:error', data: { code, message } });

export const subscriptionSucceeded = (channel: string, data = '{}') => encodeEvent('pusher_internal:subscription_succeeded', channel, data);

export const cacheMiss = (channel: string) => encodeEvent('pusher:cache_miss', channel, '{}');

export const signinSuccess = (userData: string) => encodeEvent('pusher:signin_success', undefined, JSON.stringify({ user_data: userData }));

/** Same shape pusher-js emits for a failed authorizer, so `channel.error(cb)` sees one format. */
export const subscriptionError = (channel: string, type: string, error: string, status: number) =>
  encodeEvent('pusher:subscription_error', channel, JSON.stringify({ type, error, status }));

export const PING = encodeEvent('pusher:ping', undefined, '{}');
export const PONG = encodeEvent('pusher:pong', undefined, '{}');
