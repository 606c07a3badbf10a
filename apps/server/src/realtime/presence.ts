
/**
 * Presence channels (`presence-*`): who is subscribed, by user. Pure: parsing the signed
 * `channel_data`, and the messages members see. Where the members are kept is `ChannelState`'s.
 */

export interface PresenceMember {
  /** Pusher ids are strings; a numeric `user_id` (Laravel's default) is read as its decimal string. */
  id: string;
  /** `user_info` as JSON, relayed as the application signed it (undefined when none). */
  info: string | undefined;
}

export interface PresenceLimits {
  maxPresenceMembers: number;
  maxPresenceUserInfoBytes: number;
}

export type MemberCheck = { ok: true; member: PresenceMember } | { ok: false; type: string; error: string };

/** Reads `channel_data` (`{"user_id": ..., "user_info": {...}}`), within the size limit on user info. */
export function parseChannelData(channelData: string | undefined, limits: PresenceLimits): MemberCheck {
  const bad = (error: string): MemberCheck => ({ ok: false, type: 'InvalidChannelData', error });
  if (channelData === undefined) return bad('presence channels need channel_data');
  let d: unknown;
  try {
    d = JSON.parse(channelData);
  } catch {
    return bad('channel_data is not JSON');
  }
  if (d === null || typeof d !== 'object' || Array.isArray(d)) return bad('channel_data must be a JSON object');
  const raw = (d as Record<string, unknown>).user_id;
  const id = typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : raw;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200) return bad('channel_data.user_id must be a string or an integer');
  const userInfo = (d as Record<string, unknown>).user_info;
  const info = userInfo === undefined ? undefined : JSON.stringify(userInfo);
  if (info !== undefined && Buffer.byteLength(info) > limits.maxPresenceUserInfoBytes)
    return { ok: false, type: 'LimitReached', error: `user_info is over ${limits.maxPresenceUserInfoBytes} bytes` };
  return { ok: true, member: { id, info } };
}

/** `pusher_internal:subscription_succeeded` data: `{presence: {count, ids, hash}}`, as pusher-js reads it. */
export function presenceSnapshot(members: ReadonlyMap<string, string | undefined>): string {
  // Spliced from the stored JSON rather than parsed and encoded again: this runs on every join,
  // over every member (1,000 in a big room). `info` is always JSON this server encoded itself.
  const ids: string[] = [];
  const hash: string[] = [];
  for (const [id, info] of members) {
    const key = JSON.stringify(id);
    ids.push(key);
    hash.push(`${key}:${info ?? 'null'}`);
  }
  return `{"presence":{"count":${members.size},"ids":[${ids.join(',')}],"hash":{${hash.join(',')}}}}`;
}

export const MEMBER_ADDED = 'pusher_internal:member_added';
export const MEMBER_REMOVED = 'pusher_internal:member_removed';

export const memberAddedData = (m: PresenceMember) => (m.info === undefined ? JSON.stringify({ user_id: m.id }) : `{"user_id":${JSON.stringify(m.id)},"user_info":${m.info}}`);
export const memberRemovedData = (id: string) => JSON.stringify({ user_id: id });
