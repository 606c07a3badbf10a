import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { limitKey } from '../http/client-address.ts';
import { AddressLimits } from './address-limits.ts';
import { ChannelRegistry } from './channel-registry.ts';
import { Connection, type ConnectionHost } from './connection.ts';
import { PusherError } from './errors.ts';
import { LocalChannelState, type ChannelState } from './channel-state.ts';
import type { WebhookEvent } from './app-webhooks.ts';
import { MEMBER_ADDED, MEMBER_REMOVED, memberAddedData, memberRemovedData, presenceSnapshot, type PresenceMember } from './presence.ts';
import {
  cacheMiss,
  channelKind,
  checkProtocolVersion,
  closeReason,
  connectionEstablished,
  encodeEvent,
  errorMessage,
  isCacheChannel,
  subscriptionError,
  subscriptionSucceeded,
  USER_CHANNEL_PREFIX,
} from './protocol.ts';
import { verifyChannelAuth, verifyUserAuth, type AppCredentials } from './signatures.ts';
import { refuseUpgrade } from './upgrade-refusal.ts';
import { parseUpgradeTarget } from './upgrade-target.ts';
import type { RealtimeConfig } from './config.ts';
import type { RealtimeEvent } from './event-bus.ts';

/** Who is connecting, for per-address limits (the composition decides whether proxies are believed). */
export type ClientAddressFn = (req: IncomingMessage) => string | undefined;
const socketAddress: ClientAddressFn = (req) => req.socket.remoteAddress;

/** `<digits>.<digits>`, as the protocol requires; random, so ids do not repeat across instances. */
export function newSocketId(): string {
  return `${randomInt(1, 2 ** 47)}.${randomInt(1, 2 ** 47)}`;
}

/**
 * Closes a user's sockets on every instance: published on `#server-to-user-{id}` like any event
 * (so the Redis bus carries it), and acted on, never relayed, by `deliver`.
 */
export const TERMINATE_EVENT = 'slipway_internal:terminate_connections';

export interface PusherServerStats {
  connections: number;
  channels: number;
  /** Subscriptions of this instance's sockets (a socket on three channels counts three). */
  subscriptions: number;
  /** Frames received from clients, and sent to them, since start. */
  messagesIn: number;
  messagesOut: number;
}

/**
 * The embedded Pusher-protocol server: accepts upgrades on `/app/{key}`, owns the connections and
 * the channel registry, delivers events to local sockets, and runs one sweep for liveness.
 */
export class PusherServer implements ConnectionHost {
  readonly app: AppCredentials;
  private readonly wss: WebSocketServer;
  private readonly registry = new ChannelRegistry<Connection>();
  private readonly connections = new Set<Connection>();
  /** Signed-in sockets by user id (for terminate_connections). */
  private readonly users = new Map<string, Set<Connection>>();
  private readonly addresses: AddressLimits;
  private readonly sweepTimer: NodeJS.Timeout;
  readonly traffic = { in: 0, out: 0 };
  /** Set by the composition: where events go to reach every instance (the bus). */
  toBus: (event: RealtimeEvent) => void = (e) => this.deliver(e);
  /** Set by the composition: webhooks to the application, when configured. */
  onWebhook: ((event: WebhookEvent) => void) | null = null;
  /** Set by the composition: where a handler's unexpected throw is reported (the log). */
  onError: (err: unknown) => void = () => {};

  constructor(
    readonly config: RealtimeConfig,
    private readonly clientAddress: ClientAddressFn = socketAddress,
    /** Presence members, cached events, occupancy: this process's, or shared through Redis. */
    readonly state: ChannelState = new LocalChannelState(config.cacheTtlSeconds * 1000),
  ) {
    this.addresses = new AddressLimits(config);
    // Members and channels of an instance that died: the others announce they are gone.
    state.onOrphans = ({ removed, vacated }) => {
      for (const [channel, userId] of removed) {
        this.publish({ channels: [channel], name: MEMBER_REMOVED, data: memberRemovedData(userId) });
        this.onWebhook?.({ name: 'member_removed', channel, user_id: userId });
      }
      for (const channel of vacated) this.onWebhook?.({ name: 'channel_vacated', channel });
    };
    this.app = { id: config.appId, key: config.key, secret: config.secret };
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxFrameBytes,
      // Compression costs ~300 KB per socket in zlib state; events are small anyway.
      perMessageDeflate: false,
      clientTracking: false,
    });
    const tick = Math.min(config.activityTimeout, config.pongTimeout, config.subscribeTimeout, config.signinTimeout || Infinity) * 250;
    // A timer callback that throws would end the process: report it, and sweep again next tick.
    const sweep = () => {
      try {
        this.sweep(Date.now());
      } catch (err) {
        this.onError(err);
      }
    };
    this.sweepTimer = setInterval(sweep, Math.max(100, Math.min(tick, 5_000)));
    this.sweepTimer.unref();
  }

  /**
   * True when the request was for us (`/app/...`, or a target nobody could read, answered 400);
   * the caller leaves other upgrades alone. Never throws for anything a client can send.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const target = parseUpgradeTarget(req.url);
    if (target.kind === 'other') return false;
    if (target.kind === 'invalid') {
      refuseUpgrade(socket, 400, target.message);
      return true;
    }
    const address = limitKey(this.clientAddress(req));
    // Before the handshake, so a flood of attempts costs a few bytes each, not a WebSocket.
    if (!this.addresses.attempt(address)) {
      refuseUpgrade(socket, 429, 'Too many new connections from this address', { 'Retry-After': '1' });
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      try {
        this.accept(ws, target.key, target.protocol, address);
      } catch (err) {
        this.onError(err);
        ws.terminate();
      }
    });
    return true;
  }

  private accept(ws: WebSocket, key: string, protocol: string | null, address: string): void {
    // Refusals go over the socket, as the protocol does, so the client knows whether to retry.
    const refuse = (code: number, message: string) => {
      ws.on('error', () => {});
      ws.send(errorMessage(code, message));
      ws.close(code, closeReason(message));
    };
    if (key !== this.app.key) return refuse(PusherError.AppNotFound, `Application does not exist: ${key.slice(0, 60)}`);
    const version = checkProtocolVersion(protocol);
    if (!version.ok) return refuse(version.code, version.message);
    if (this.connections.size >= this.config.maxConnections) return refuse(PusherError.OverCapacity, 'Over capacity');
    // 41xx: pusher-js backs off and retries, as it should when others from its address leave.
    if (!this.addresses.acquire(address)) return refuse(PusherError.OverCapacity, 'Over capacity: too many connections from this address');

    const conn = new Connection(newSocketId(), ws, this, address);
    this.connections.add(conn);
    conn.send(connectionEstablished(conn.socketId, this.config.activityTimeout));
  }

  /**
   * Every event from this instance goes here (HTTP API, client events, presence changes): cache
   * channels remember it, then the bus takes it to every instance.
   */
  publish(event: RealtimeEvent): void {
    if (!event.name.startsWith('pusher_internal:'))
      for (const channel of event.channels) if (isCacheChannel(channel)) this.state.remember(channel, { name: event.name, data: event.data });
    this.toBus(event);
  }

  /** Sends an event to this process's subscribers of its channels. */
  deliver(event: RealtimeEvent): number {
    let sent = 0;
    for (const channel of event.channels) {
      if (event.name === TERMINATE_EVENT) {
        this.terminateLocal(channel);
        continue;
      }
      const members = this.registry.members(channel);
      if (!members) continue;
      // Encoded once per channel and handed to ws as bytes, not once per socket.
      const frame = Buffer.from(encodeEvent(event.name, channel, event.data));
      for (const conn of members) {
        if (conn.socketId === event.exceptSocketId) continue;
        if (conn.send(frame)) sent++;
      }
    }
    return sent;
  }

  private terminateLocal(channel: string): void {
    if (!channel.startsWith(USER_CHANNEL_PREFIX)) return;
    for (const conn of this.users.get(channel.slice(USER_CHANNEL_PREFIX.length)) ?? []) conn.close(PusherError.Unauthorized, 'Connection terminated by the application');
  }

  // ---- ConnectionHost ---------------------------------------------------------------------

  /** Called in the connection's order of steps (`Connection.enqueue`). */
  async subscribe(conn: Connection, channel: string, member?: PresenceMember): Promise<void> {
    conn.channels.add(channel);
    conn.unsubscribedSince = 0;
    let data: string | undefined;
    if (member) {
      const joined = await this.state.join(channel, member, this.config.maxPresenceMembers);
      if (!joined) {
        this.leftChannel(conn, channel);
        conn.send(subscriptionError(channel, 'LimitReached', `At most ${this.config.maxPresenceMembers} members per presence channel`, 403));
        return;
      }
      // Recorded before anything else: if the socket closed meanwhile, its cleanup (queued after this) leaves.
      conn.presence.set(channel, member);
      if (joined.added) {
        this.publish({ channels: [channel], name: MEMBER_ADDED, data: memberAddedData(member), exceptSocketId: conn.socketId });
        this.onWebhook?.({ name: 'member_added', channel, user_id: member.id });
      }
      data = presenceSnapshot(joined.members);
    }
    if (!conn.isOpen || !conn.channels.has(channel)) return;
    if (this.registry.add(channel, conn) && this.registry.count(channel) === 1) this.occupancyChanged(channel, 1);
    conn.send(subscriptionSucceeded(channel, data));
    if (isCacheChannel(channel)) {
      const cached = await this.state.recall(channel);
      conn.send(cached ? encodeEvent(cached.name, channel, cached.data) : cacheMiss(channel));
    }
  }

  async unsubscribe(conn: Connection, channel: string): Promise<void> {
    this.leftChannel(conn, channel);
    await this.leavePresence(conn, channel);
  }

  /** The socket no longer holds the channel (its presence membership is left separately). */
  private leftChannel(conn: Connection, channel: string): void {
    conn.channels.delete(channel);
    if (conn.channels.size === 0) conn.unsubscribedSince = Date.now();
    if (this.registry.remove(channel, conn) && this.registry.count(channel) === 0) this.occupancyChanged(channel, -1);
  }

  private async leavePresence(conn: Connection, channel: string): Promise<void> {
    const member = conn.presence.get(channel);
    if (!member) return;
    conn.presence.delete(channel);
    if (!(await this.state.leave(channel, member.id))) return;
    this.publish({ channels: [channel], name: MEMBER_REMOVED, data: memberRemovedData(member.id) });
    this.onWebhook?.({ name: 'member_removed', channel, user_id: member.id });
  }

  /** This instance gained its first or lost its last socket on a channel: the webhook, if the cluster did too. */
  private occupancyChanged(channel: string, delta: 1 | -1): void {
    const hook = this.onWebhook;
    if (!hook || channelKind(channel) === 'user') return;
    this.state.occupancy(channel, delta).then((n) => {
      if (delta === 1 && n === 1) hook({ name: 'channel_occupied', channel });
      if (delta === -1 && n === 0) hook({ name: 'channel_vacated', channel });
    }, this.onError);
  }

  handlerFailed(conn: Connection, err: unknown): void {
    this.onError(err);
  }

  verifyChannelAuth(socketId: string, channel: string, auth: string | undefined, channelData: string | undefined): boolean {
    return verifyChannelAuth(this.app, socketId, channel, auth, channelData);
  }

  verifyUserAuth(socketId: string, auth: string, userData: string): boolean {
    return verifyUserAuth(this.app, socketId, auth, userData);
  }

  signedIn(conn: Connection, userId: string): void {
    let set = this.users.get(userId);
    if (!set) this.users.set(userId, (set = new Set()));
    set.add(conn);
  }

  publishClientEvent(event: RealtimeEvent, userId: string | undefined): void {
    this.publish(event);
    const channel = event.channels[0]!;
    this.onWebhook?.({ name: 'client_event', channel, event: event.name, data: event.data, socket_id: event.exceptSocketId!, ...(userId !== undefined ? { user_id: userId } : {}) });
  }

  forget(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    this.addresses.release(conn.address);
    if (conn.userId !== null) {
      const set = this.users.get(conn.userId);
      set?.delete(conn);
      if (set?.size === 0) this.users.delete(conn.userId);
    }
    for (const channel of [...conn.channels]) this.leftChannel(conn, channel);
    // After any join still under way for it.
    conn.enqueue(async () => {
      for (const channel of [...conn.presence.keys()]) await this.leavePresence(conn, channel);
    });
  }

  // ---- queries ------------------------------------------------------------------------------

  stats(): PusherServerStats {
    let subscriptions = 0;
    for (const [, n] of this.registry.occupied()) subscriptions += n;
    return { connections: this.connections.size, channels: this.registry.size, subscriptions, messagesIn: this.traffic.in, messagesOut: this.traffic.out };
  }

  /** Open sockets counted against a client address (as `limitKey` writes it). */
  connectionsFrom(address: string): number {
    return this.addresses.openCount(limitKey(address));
  }

  subscriptionCount(channel: string): number {
    return this.registry.count(channel);
  }

  /** Occupied channels (users' `#server-to-user-` channels are not listed, as on Pusher). */
  *occupiedChannels(prefix = ''): IterableIterator<[string, number]> {
    for (const entry of this.registry.occupied(prefix)) if (!entry[0].startsWith('#')) yield entry;
  }

  /**
   * Pings the silent, closes those that never answered (4201), and those subscribed to nothing
   * for too long (4202): an idle socket holds a slot without any use to its client.
   */
  sweep(now: number): void {
    const idleMs = this.config.activityTimeout * 1000;
    const pongMs = this.config.pongTimeout * 1000;
    const unsubscribedMs = this.config.subscribeTimeout * 1000;
    this.addresses.sweep(now);
    const signinMs = this.config.signinTimeout * 1000;
    for (const conn of this.connections) {
      if (signinMs > 0 && conn.userId === null && now - conn.connectedAt > signinMs) {
        conn.close(PusherError.Unauthorized, `Closed: not signed in within ${this.config.signinTimeout} s`);
      } else if (conn.unsubscribedSince !== 0 && now - conn.unsubscribedSince > unsubscribedMs) {
        conn.close(PusherError.ClosedAfterInactivity, `Closed: subscribed to no channel for ${this.config.subscribeTimeout} s`);
      } else if (conn.pingSentAt !== 0) {
        if (now - conn.pingSentAt > pongMs) conn.close(PusherError.PongNotReceived, 'Pong reply not received');
      } else if (now - conn.lastSeen > idleMs) {
        conn.ping(now);
      }
    }
  }

  /** Closes every socket with 4200 so clients reconnect at once (to this server once it is back, or another). */
  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    const conns = [...this.connections];
    for (const conn of conns) {
      conn.close(PusherError.GenericReconnect, 'Server shutting down');
      // Now, not when the close handshake ends: members leave presence before the state closes.
      this.forget(conn);
    }
    await Promise.all(conns.map((c) => c.idle()));
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
