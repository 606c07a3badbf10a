import type { WebSocket } from 'ws';
import { PusherError } from './errors.ts';
import {
  channelKind,
  closeReason,
  errorMessage,
  parseClientMessage,
  PING,
  PONG,
  subscriptionError,
  subscriptionSucceeded,
  type ClientMessage,
} from './protocol.ts';
import { TokenBucket } from './rate-limiter.ts';
import type { RealtimeConfig } from './config.ts';
import type { RealtimeEvent } from './event-bus.ts';

/** What a connection needs from the server that accepted it. */
export interface ConnectionHost {
  readonly config: RealtimeConfig;
  subscribe(conn: Connection, channel: string): void;
  unsubscribe(conn: Connection, channel: string): void;
  verifyChannelAuth(socketId: string, channel: string, auth: string | undefined, channelData: string | undefined): boolean;
  publishClientEvent(event: RealtimeEvent): void;
  forget(conn: Connection): void;
  /** A handler threw: a bug, reported here; the connection is closed, the server carries on. */
  handlerFailed(conn: Connection, err: unknown): void;
}

/**
 * One client socket speaking Pusher protocol 7: handles its messages, keeps its subscriptions and
 * liveness. Deliberately small (a handful of fields, no timers of its own): the server's sweep
 * does pings and idle closes for every connection at once.
 */
export class Connection {
  readonly channels = new Set<string>();
  /** Last time the client sent anything; the sweep pings after `activity_timeout` of silence. */
  lastSeen: number;
  /** When the sweep pinged and still waits for a pong, else 0. */
  pingSentAt = 0;
  /** Since when it has been subscribed to nothing (0 while it holds a channel); the sweep closes it after a while. */
  unsubscribedSince: number;
  private readonly bucket: TokenBucket;
  private closed = false;

  constructor(
    readonly socketId: string,
    private readonly ws: WebSocket,
    private readonly host: ConnectionHost,
    /** The client address it counts against (per-address limits). */
    readonly address: string = 'unknown',
    now: number = Date.now(),
  ) {
    this.lastSeen = now;
    this.unsubscribedSince = now;
    this.bucket = new TokenBucket(host.config.messageRate, host.config.messageBurst, now);
    // ws calls these from its socket's data handler: a throw would escape to the process.
    ws.on('message', (data, isBinary) => this.guarded(() => this.onFrame(data as Buffer | Buffer[] | ArrayBuffer, isBinary)));
    ws.on('close', () => this.guarded(() => this.onClosed()));
    // ws reports oversized frames and protocol violations here, then closes the socket itself.
    ws.on('error', () => {});
  }

  /** False when the frame was not queued: socket closing, or a client that stopped reading. */
  send(frame: string | Buffer): boolean {
    if (this.closed || this.ws.readyState !== 1) return false;
    if (this.ws.bufferedAmount > this.host.config.maxBufferedBytes) {
      // It no longer reads what we send: holding its backlog would cost every other client memory.
      this.closed = true;
      this.ws.terminate();
      return false;
    }
    // Text frames: browsers hand binary ones to pusher-js as Blobs, which it cannot parse.
    this.ws.send(frame, { binary: false });
    return true;
  }

  /** Tells the client why (pusher-js reads `pusher:error`), then closes with the protocol's code. */
  close(code: number, message: string): void {
    if (this.closed) return;
    this.send(errorMessage(code, message));
    this.closed = true;
    this.ws.close(code, closeReason(message));
    // A client that ignores the close handshake is cut off, so its socket cannot linger.
    setTimeout(() => this.ws.terminate(), 5_000).unref();
  }

  ping(now: number): void {
    this.pingSentAt = now;
    this.send(PING);
  }

  /** Runs a handler; if it throws, only this connection pays: closed with 1011 (internal error). */
  private guarded(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.host.handlerFailed(this, err);
      if (this.closed) {
        this.ws.terminate();
        return;
      }
      try {
        this.close(1011, 'Internal server error');
      } catch {
        this.ws.terminate();
      }
    }
  }

  private onFrame(data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean): void {
    const now = Date.now();
    this.lastSeen = now;
    this.pingSentAt = 0;
    if (!this.bucket.take(now)) {
      this.close(PusherError.RateLimited, 'Too many messages: rate limit exceeded');
      return;
    }
    if (isBinary) {
      this.send(errorMessage(null, 'Binary frames are not part of the Pusher protocol'));
      return;
    }
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as Buffer).toString('utf8');
    const parsed = parseClientMessage(text);
    if (!parsed.ok) {
      this.send(errorMessage(null, parsed.error));
      return;
    }
    this.handle(parsed.message);
  }

  private handle(msg: ClientMessage): void {
    switch (msg.kind) {
      case 'ping':
        this.send(PONG);
        return;
      case 'pong':
        return;
      case 'subscribe':
        this.onSubscribe(msg.channel, msg.auth, msg.channelData);
        return;
      case 'unsubscribe':
        if (this.channels.has(msg.channel)) this.host.unsubscribe(this, msg.channel);
        return;
      case 'client-event':
        this.onClientEvent(msg.event, msg.channel, msg.data);
        return;
      case 'unsupported':
        return;
    }
  }

  private onSubscribe(channel: string, auth: string | undefined, channelData: string | undefined): void {
    if (this.channels.has(channel)) {
      this.send(subscriptionSucceeded(channel));
      return;
    }
    const kind = channelKind(channel);
    if (kind === 'presence' || kind === 'encrypted') {
      this.send(subscriptionError(channel, 'UnsupportedChannel', `${kind} channels are not supported by this server`, 400));
      return;
    }
    if (this.channels.size >= this.host.config.maxChannelsPerConnection) {
      this.send(subscriptionError(channel, 'LimitReached', `At most ${this.host.config.maxChannelsPerConnection} channels per connection`, 400));
      return;
    }
    if (kind === 'private' && !this.host.verifyChannelAuth(this.socketId, channel, auth, channelData)) {
      this.send(subscriptionError(channel, 'AuthError', 'Invalid signature: the connection is unauthorized for this channel', 401));
      return;
    }
    this.host.subscribe(this, channel);
    this.send(subscriptionSucceeded(channel));
  }

  private onClientEvent(event: string, channel: string, data: unknown): void {
    const cfg = this.host.config;
    if (!cfg.clientEvents) {
      this.send(errorMessage(PusherError.RateLimited, 'Client events are not enabled on this server'));
      return;
    }
    if (channelKind(channel) === 'public') {
      this.send(errorMessage(null, 'Client events are only allowed on private channels'));
      return;
    }
    if (!this.channels.has(channel)) {
      this.send(errorMessage(null, `Client event rejected: not subscribed to ${channel}`));
      return;
    }
    const encoded = typeof data === 'string' ? data : JSON.stringify(data ?? {});
    if (Buffer.byteLength(encoded) > cfg.maxEventBytes) {
      this.send(errorMessage(null, `Client event rejected: data over ${cfg.maxEventBytes} bytes`));
      return;
    }
    this.host.publishClientEvent({ channels: [channel], name: event, data: encoded, exceptSocketId: this.socketId });
  }

  private onClosed(): void {
    this.closed = true;
    this.host.forget(this);
  }
}

