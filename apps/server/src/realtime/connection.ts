import type { WebSocket } from 'ws';
import { PusherError } from './errors.ts';
import {
  channelKind,
  closeReason,
  errorMessage,
  isValidUserId,
  parseClientMessage,
  PING,
  PONG,
  signinSuccess,
  subscriptionError,
  subscriptionSucceeded,
  USER_CHANNEL_PREFIX,
  type ClientMessage,
} from './protocol.ts';
import { parseChannelData, type PresenceMember } from './presence.ts';
import { TokenBucket } from './rate-limiter.ts';
import type { RealtimeConfig } from './config.ts';
import type { RealtimeEvent } from './event-bus.ts';

/** What a connection needs from the server that accepted it. */
export interface ConnectionHost {
  readonly config: RealtimeConfig;
  /** Frames received from and sent to clients, counted for /metrics. */
  readonly traffic: { in: number; out: number };
  /** Joins a channel whose auth was checked; `member` for presence channels. Answers the client itself. */
  subscribe(conn: Connection, channel: string, member?: PresenceMember): Promise<void>;
  unsubscribe(conn: Connection, channel: string): Promise<void>;
  verifyChannelAuth(socketId: string, channel: string, auth: string | undefined, channelData: string | undefined): boolean;
  verifyUserAuth(socketId: string, auth: string, userData: string): boolean;
  /** The socket signed in as `userId` (`pusher:signin`). */
  signedIn(conn: Connection, userId: string): void;
  publishClientEvent(event: RealtimeEvent, userId: string | undefined): void;
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
  /** When it connected (the sign-in timeout counts from here). */
  readonly connectedAt: number;
  /** The user it signed in as (`pusher:signin`), else null. */
  userId: string | null = null;
  /** Presence channels it is a member of, and as whom. */
  readonly presence = new Map<string, PresenceMember>();
  private readonly bucket: TokenBucket;
  private closed = false;
  /** Channel work that waits on shared state (presence, cache) runs in order, one step at a time. */
  private ops: Promise<void> = Promise.resolve();

  constructor(
    readonly socketId: string,
    private readonly ws: WebSocket,
    private readonly host: ConnectionHost,
    /** The client address it counts against (per-address limits). */
    readonly address: string = 'unknown',
    now: number = Date.now(),
  ) {
    this.lastSeen = now;
    this.connectedAt = now;
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
    this.host.traffic.out++;
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

  get isOpen(): boolean {
    return !this.closed;
  }

  /**
   * Runs `step` after every step queued before it, so a leave never overtakes its join. A step
   * that throws closes the connection (1011), like any handler; later steps (its cleanup) still run.
   */
  enqueue(step: () => Promise<void> | void | undefined): void {
    this.ops = this.ops.then(step).catch((err) => this.failed(err));
  }

  /** Resolves once every queued step has run. */
  idle(): Promise<void> {
    return this.ops;
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
      this.failed(err);
    }
  }

  private failed(err: unknown): void {
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

  private onFrame(data: Buffer | Buffer[] | ArrayBuffer, isBinary: boolean): void {
    const now = Date.now();
    this.host.traffic.in++;
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
      this.send(parsed.channel !== undefined ? subscriptionError(parsed.channel, parsed.type ?? 'InvalidChannel', parsed.error, 400) : errorMessage(null, parsed.error));
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
      // In order, each after the last one's shared-state work (presence, cache) is done.
      case 'subscribe':
        this.enqueue(() => this.onSubscribe(msg.channel, msg.auth, msg.channelData));
        return;
      case 'unsubscribe':
        this.enqueue(() => (this.channels.has(msg.channel) ? this.host.unsubscribe(this, msg.channel) : undefined));
        return;
      case 'signin':
        this.onSignin(msg.auth, msg.userData);
        return;
      case 'client-event':
        this.onClientEvent(msg.event, msg.channel, msg.data);
        return;
      case 'unsupported':
        return;
    }
  }

  private async onSubscribe(channel: string, auth: string | undefined, channelData: string | undefined): Promise<void> {
    if (!this.isOpen) return;
    if (this.channels.has(channel)) {
      this.send(subscriptionSucceeded(channel));
      return;
    }
    const cfg = this.host.config;
    if (this.channels.size >= cfg.maxChannelsPerConnection) {
      this.send(subscriptionError(channel, 'LimitReached', `At most ${cfg.maxChannelsPerConnection} channels per connection`, 400));
      return;
    }
    const kind = channelKind(channel);
    if (kind === 'user') {
      // pusher-js subscribes to its user's channel after signing in; nobody else may.
      if (this.userId === null || channel !== `${USER_CHANNEL_PREFIX}${this.userId}`)
        this.send(subscriptionError(channel, 'AuthError', 'Sign in as this user first (pusher:signin)', 401));
      else await this.host.subscribe(this, channel);
      return;
    }
    if (kind !== 'public' && !this.host.verifyChannelAuth(this.socketId, channel, auth, channelData)) {
      this.send(subscriptionError(channel, 'AuthError', 'Invalid signature: the connection is unauthorized for this channel', 401));
      return;
    }
    if (kind !== 'presence') return this.host.subscribe(this, channel);
    const member = parseChannelData(channelData, cfg);
    if (!member.ok) {
      this.send(subscriptionError(channel, member.type, member.error, 400));
      return;
    }
    return this.host.subscribe(this, channel, member.member);
  }

  private onSignin(auth: string, userData: string): void {
    if (this.userId !== null) {
      this.send(errorMessage(null, 'pusher:signin: already signed in'));
      return;
    }
    let id: unknown;
    try {
      id = (JSON.parse(userData) as { id?: unknown } | null)?.id;
    } catch {
      /* answered below */
    }
    if (!isValidUserId(id)) {
      this.send(errorMessage(null, 'pusher:signin: user_data must be a JSON object with a string id'));
      return;
    }
    if (!this.host.verifyUserAuth(this.socketId, auth, userData)) {
      this.send(errorMessage(PusherError.Unauthorized, 'pusher:signin: invalid signature'));
      return;
    }
    this.userId = id;
    this.host.signedIn(this, id);
    this.send(signinSuccess(userData));
  }

  private onClientEvent(event: string, channel: string, data: unknown): void {
    const cfg = this.host.config;
    if (!cfg.clientEvents) {
      this.send(errorMessage(PusherError.RateLimited, 'Client events are not enabled on this server'));
      return;
    }
    const kind = channelKind(channel);
    if (kind === 'public' || kind === 'user') {
      this.send(errorMessage(null, 'Client events are only allowed on private and presence channels'));
      return;
    }
    if (kind === 'encrypted') {
      // As Pusher: the server could not check what it relays, and peers hold the key anyway.
      this.send(errorMessage(null, 'Client events are not supported on encrypted channels'));
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
    this.host.publishClientEvent({ channels: [channel], name: event, data: encoded, exceptSocketId: this.socketId }, this.presence.get(channel)?.id);
  }

  private onClosed(): void {
    this.closed = true;
    this.host.forget(this);
  }
}

