import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ChannelRegistry } from './channel-registry.ts';
import { Connection, type ConnectionHost } from './connection.ts';
import { PusherError } from './errors.ts';
import { checkProtocolVersion, connectionEstablished, encodeEvent, errorMessage } from './protocol.ts';
import { verifyChannelAuth, type AppCredentials } from './signatures.ts';
import type { RealtimeConfig } from './config.ts';
import type { RealtimeEvent } from './event-bus.ts';

const APP_PATH = /^\/app\/([^/?]+)\/?$/;

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
  private readonly sweepTimer: NodeJS.Timeout;
  /** Set by the composition: where client events go (the bus, so other instances see them too). */
  onClientEvent: (event: RealtimeEvent) => void = (e) => this.deliver(e);

  constructor(readonly config: RealtimeConfig) {
    this.app = { id: config.appId, key: config.key, secret: config.secret };
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxFrameBytes,
      // Compression costs ~300 KB per socket in zlib state; events are small anyway.
      perMessageDeflate: false,
      clientTracking: false,
    });
    const tick = Math.min(config.activityTimeout, config.pongTimeout) * 250;
    this.sweepTimer = setInterval(() => this.sweep(Date.now()), Math.max(100, Math.min(tick, 5_000)));
    this.sweepTimer.unref();
  }

  /** True when the request was for us (`/app/...`); the caller leaves other upgrades alone. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = APP_PATH.exec(url.pathname);
    if (!match) return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, decodeURIComponent(match[1]!), url.searchParams.get('protocol')));
    return true;
  }

  private accept(ws: WebSocket, key: string, protocol: string | null): void {
    // Refusals go over the socket, as the protocol does, so the client knows whether to retry.
    const refuse = (code: number, message: string) => {
      ws.on('error', () => {});
      ws.send(errorMessage(code, message));
      ws.close(code, message);
    };
    if (key !== this.app.key) return refuse(PusherError.AppNotFound, `Application does not exist: ${key.slice(0, 60)}`);
    const version = checkProtocolVersion(protocol);
    if (!version.ok) return refuse(version.code, version.message);
    if (this.connections.size >= this.config.maxConnections) return refuse(PusherError.OverCapacity, 'Over capacity');

    const conn = new Connection(newSocketId(), ws, this);
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
    this.registry.add(channel, conn);
  }

  unsubscribe(conn: Connection, channel: string): void {
    conn.channels.delete(channel);
    this.registry.remove(channel, conn);
  }

  verifyChannelAuth(socketId: string, channel: string, auth: string | undefined, channelData: string | undefined): boolean {
    return verifyChannelAuth(this.app, socketId, channel, auth, channelData);
  }

  publishClientEvent(event: RealtimeEvent): void {
    this.onClientEvent(event);
  }

  forget(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    for (const channel of conn.channels) this.registry.remove(channel, conn);
    conn.channels.clear();
  }

  // ---- queries ------------------------------------------------------------------------------

  stats(): PusherServerStats {
    return { connections: this.connections.size, channels: this.registry.size };
  }

  subscriptionCount(channel: string): number {
    return this.registry.count(channel);
  }

  occupiedChannels(prefix = ''): IterableIterator<[string, number]> {
    return this.registry.occupied(prefix);
  }

  /** Pings the silent, closes those that never answered (4201). */
  sweep(now: number): void {
    const idleMs = this.config.activityTimeout * 1000;
    const pongMs = this.config.pongTimeout * 1000;
    for (const conn of this.connections) {
      if (conn.pingSentAt !== 0) {
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
