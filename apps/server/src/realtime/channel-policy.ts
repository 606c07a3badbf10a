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

/** May this user see deployment `id`? (Its owner and admins may; the deployments service knows the owner.) */
export type DeploymentAccess = (user: RealtimeUser, deploymentId: string) => Promise<boolean>;

/** `presence-deployment.{id}`: who is watching a deployment. */
export const DEPLOYMENT_PRESENCE_PREFIX = 'presence-deployment.';
const DEPLOYMENT_ID = /^[1-9]\d{0,15}$/;

/** The deployment id of a deployment presence channel, or null for any other channel. */
export function deploymentOfPresenceChannel(channel: string): string | null {
  if (!channel.startsWith(DEPLOYMENT_PRESENCE_PREFIX)) return null;
  const id = channel.slice(DEPLOYMENT_PRESENCE_PREFIX.length);
  return DEPLOYMENT_ID.test(id) ? id : null;
}

/** What other watchers see of a user: no more than the deployment list already shows them. */
export function presenceChannelData(user: RealtimeUser): string {
  return JSON.stringify({ user_id: user.id, user_info: { id: user.id, email: user.email } });
}
