import { isValidChannelName, isValidEventName } from './protocol.ts';
import type { RealtimeEvent } from './event-bus.ts';

/**
 * Validation of Pusher HTTP API event bodies (`/events`, `/batch_events`), with the protocol's
 * limits and statuses: 400 malformed, 413 data too large. Pure, so the rules are tested directly.
 */

export interface HttpApiLimits {
  maxEventBytes: number;
  maxEventChannels: number;
  maxBatchSize: number;
}

/**
 * The largest request body the HTTP API reads, from the event limits: a full batch of events at
 * the data limit, with room for JSON escaping and channel names. So raising
 * REALTIME_MAX_EVENT_BYTES raises it too, and the 413 a client gets is the data limit's.
 */
export function httpApiBodyLimit(limits: HttpApiLimits): number {
  const perEvent = 2 * limits.maxEventBytes + limits.maxEventChannels * 210 + 1024;
  return Math.max(64 * 1024, limits.maxBatchSize * perEvent);
}

export type Checked<T> = { ok: true; value: T } | { ok: false; status: 400 | 413; error: string };

const bad = (error: string): Checked<never> => ({ ok: false, status: 400, error });
const SOCKET_ID = /^\d+\.\d+$/;

export interface CheckedEvent extends RealtimeEvent {
  info: string[];
}

function checkOne(body: unknown, limits: HttpApiLimits, batch: boolean): Checked<CheckedEvent> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return bad('The body must be a JSON object');
  const b = body as Record<string, unknown>;
  if (!isValidEventName(b.name)) return bad('name must be a string of 1 to 200 characters');
  if (b.name.startsWith('slipway_internal:')) return bad('slipway_internal: names are reserved');
  let channels: unknown = b.channels ?? (b.channel !== undefined ? [b.channel] : undefined);
  if (!Array.isArray(channels) || channels.length === 0) return bad(batch ? 'channel is required' : 'channels (or channel) is required');
  if (channels.length > limits.maxEventChannels) return bad(`At most ${limits.maxEventChannels} channels per event`);
  channels = [...new Set(channels)];
  for (const c of channels as unknown[]) if (!isValidChannelName(c)) return bad(`Invalid channel name: ${JSON.stringify(c)?.slice(0, 60)}`);
  if (b.data === undefined) return bad('data is required');
  // The protocol wants a string; a JSON value is accepted and encoded, as several servers do.
  const data = typeof b.data === 'string' ? b.data : JSON.stringify(b.data);
  if (Buffer.byteLength(data) > limits.maxEventBytes) return { ok: false, status: 413, error: `data is over ${limits.maxEventBytes} bytes` };
  if (b.socket_id !== undefined && (typeof b.socket_id !== 'string' || !SOCKET_ID.test(b.socket_id))) return bad('socket_id is malformed');
  const info = typeof b.info === 'string' && b.info ? b.info.split(',') : [];
  return { ok: true, value: { channels: channels as string[], name: b.name, data, exceptSocketId: b.socket_id as string | undefined, info } };
}

export function checkEvent(body: unknown, limits: HttpApiLimits): Checked<CheckedEvent> {
  return checkOne(body, limits, false);
}

export function checkBatch(body: unknown, limits: HttpApiLimits): Checked<CheckedEvent[]> {
  const batch = (body as { batch?: unknown } | null)?.batch;
  if (!Array.isArray(batch)) return bad('batch must be an array');
  if (batch.length > limits.maxBatchSize) return bad(`At most ${limits.maxBatchSize} events per batch`);
  const out: CheckedEvent[] = [];
  for (const item of batch) {
    const c = checkOne(item, { ...limits, maxEventChannels: 1 }, true);
    if (!c.ok) return c;
    out.push(c.value);
  }
  return { ok: true, value: out };
}
