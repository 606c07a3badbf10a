import { DEPLOYMENT_EVENT_NAME, type DeploymentStatusUpdated } from '@slipway/contracts';
import type { DeploymentChange } from '../deployments/broadcaster.ts';
import { userChannel, type ChannelPolicy } from './channel-policy.ts';

/** Channels a deployment change goes to: its owner's private channel, and the admins' channel. */
export function deploymentChannels(policy: ChannelPolicy, change: DeploymentChange): string[] {
  const channels = [policy.adminChannel];
  if (change.ownerId !== null) channels.unshift(userChannel(policy, change.ownerId));
  return channels;
}

/**
 * Keeps the payload within the protocol's data limit (10 KB on Pusher Channels), so a long build
 * log never gets the whole event refused: the oldest log lines go first, then the message is cut.
 * The browser fetches full logs from the API; the event only has to say what changed.
 */
export function fitPayload(payload: DeploymentStatusUpdated, maxBytes: number): DeploymentStatusUpdated {
  const size = (p: DeploymentStatusUpdated) => Buffer.byteLength(JSON.stringify(p));
  if (size(payload) <= maxBytes) return payload;
  const out: DeploymentStatusUpdated = { ...payload, logs: [...payload.logs] };
  let dropped = 0;
  while (out.logs.length > 0 && size({ ...out, logs: [`… ${dropped + 1} earlier log lines omitted`, ...out.logs] }) > maxBytes) {
    out.logs.shift();
    dropped++;
  }
  if (dropped > 0) out.logs.unshift(`… ${dropped} earlier log lines omitted`);
  if (size(out) > maxBytes && out.message) out.message = out.message.slice(0, 500);
  if (size(out) > maxBytes) out.logs = [];
  if (size(out) > maxBytes) out.targets = out.targets.map((t) => ({ ...t, message: t.message?.slice(0, 200) ?? null }));
  return out;
}

export interface OutgoingDeploymentEvent {
  channels: string[];
  name: string;
  payload: DeploymentStatusUpdated;
  /** `payload` as JSON, encoded once. */
  data: string;
}

export function deploymentEvent(policy: ChannelPolicy, maxBytes: number, change: DeploymentChange): OutgoingDeploymentEvent {
  // The sequence is the domain's, not the caller's: make sure the payload carries it.
  let payload: DeploymentStatusUpdated = { ...change.payload, sequence: change.sequence };
  let data = JSON.stringify(payload);
  // Length in UTF-16 units is at most the byte length: only measure bytes when it might be over.
  if (data.length * 3 > maxBytes && Buffer.byteLength(data) > maxBytes) {
    payload = fitPayload(payload, maxBytes);
    data = JSON.stringify(payload);
  }
  return { channels: deploymentChannels(policy, change), name: DEPLOYMENT_EVENT_NAME, payload, data };
}
