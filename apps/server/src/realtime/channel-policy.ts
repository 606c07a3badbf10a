import type { RealtimeConfig } from './config.ts';

export interface RealtimeUser {
  id: number;
  email: string;
  role: 'admin' | 'member';
}

export type ChannelPolicy = Pick<RealtimeConfig, 'userChannelPattern' | 'adminChannel'>;

/** `private-App.Models.User.{id}` → `private-App.Models.User.42`. */
export function userChannel(policy: ChannelPolicy, userId: number | string): string {
  return policy.userChannelPattern.replaceAll('{id}', String(userId));
}

/** A user may join their own channel only; admins may also join the global deployments channel. */
export function mayJoin(policy: ChannelPolicy, user: RealtimeUser, channel: string): boolean {
  if (channel === userChannel(policy, user.id)) return true;
  return user.role === 'admin' && channel === policy.adminChannel;
}
