import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { limitKey } from '../http/client-address.ts';
import { AddressLimits } from './address-limits.ts';
import { ChannelRegistry } from './channel-registry.ts';
import { Connection, type ConnectionHost } from './connection.ts';
import { PusherError } from './errors.ts';
import { checkProtocolVersion, closeReason, connectionEstablished, encodeEvent, errorMessage } from './protocol.ts';
import { verifyChannelAuth, type AppCredentials } from './signatures.ts';
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

export interface PusherServerStats {
  connections: number;
  channels: number;
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
  private readonly addresses: AddressLimits;
  private readonly sweepTimer: NodeJS.Timeout;
  /** Set by the composition: where client events go (the bus, so other instances see them too). */
  onClientEvent: (event: RealtimeEvent) => void = (e) => this.deliver(e);
  /** Set by the composition: where a handler's unexpected throw is reported (the log). */
  onError: (err: unknown) => void = () => {};

  constructor(
    readonly config: RealtimeConfig,
    private readonly clientAddress: ClientAddressFn = socketAddress,
  ) {
    this.addresses = new AddressLimits(config);
    this.app = { id: config.appId, key: config.key, secret: config.secret };
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxFrameBytes,
      // Compression costs ~300 KB per socket in zlib state; events are small anyway.
      perMessageDeflate: false,
      clientTracking: false,
    });
    const tick = Math.min(config.activityTimeout, config.pongTimeout, config.subscribeTimeout) * 250;
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

  /** Sends an event to this process's subscribers of its channels. */
  deliver(event: RealtimeEvent): number {
    let sent = 0;
    for (const channel of event.channels) {
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

  // ---- ConnectionHost ---------------------------------------------------------------------

  subscribe(conn: Connection, channel: string): void {
    conn.channels.add(channel);
    conn.unsubscribedSince = 0;
    this.registry.add(channel, conn);
  }

  unsubscribe(conn: Connection, channel: string): void {
    conn.channels.delete(channel);
    if (conn.channels.size === 0) conn.unsubscribedSince = Date.now();
    this.registry.remove(channel, conn);
  }

  handlerFailed(conn: Connection, err: unknown): void {
    this.onError(err);
  }

  verifyChannelAuth(socketId: string, channel: string, auth: string | undefined, channelData: string | undefined): boolean {
    return verifyChannelAuth(this.app, socketId, channel, auth, channelData);
  }

  publishClientEvent(event: RealtimeEvent): void {
    this.onClientEvent(event);
  }

  forget(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    this.addresses.release(conn.address);
    for (const channel of conn.channels) this.registry.remove(channel, conn);
    conn.channels.clear();
  }

  // ---- queries ------------------------------------------------------------------------------

  stats(): PusherServerStats {
    return { connections: this.connections.size, channels: this.registry.size };
  }

  /** Open sockets counted against a client address (as `limitKey` writes it). */
  connectionsFrom(address: string): number {
    return this.addresses.openCount(limitKey(address));
  }

  subscriptionCount(channel: string): number {
    return this.registry.count(channel);
  }

  occupiedChannels(prefix = ''): IterableIterator<[string, number]> {
    return this.registry.occupied(prefix);
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
    for (const conn of this.connections) {
      if (conn.unsubscribedSince !== 0 && now - conn.unsubscribedSince > unsubscribedMs) {
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
    for (const conn of [...this.connections]) conn.close(PusherError.GenericReconnect, 'Server shutting down');
    this.connections.clear();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
