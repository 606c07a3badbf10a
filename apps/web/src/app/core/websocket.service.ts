import { HttpClient, HttpParams } from '@angular/common/http';
import { Injectable, computed, inject, signal } from '@angular/core';
import Echo from 'laravel-echo';
import Pusher from 'pusher-js';
import { RESYNC_EVENT_NAME } from '@slipway/contracts/realtime';
import { Subject, firstValueFrom } from 'rxjs';
import type { ChannelAuthResponse, ClientConfig, RealtimeClientConfig } from '@slipway/contracts';
import type { DeploymentStatusUpdated } from './deployment-status';

/** `GET /api/config` → `realtime` (docs/realtime.md): what pusher-js and Echo need, as the server's route declares it. */
export type { RealtimeClientConfig };

/**
 * - `offline`: not started (signed out) or stopped;
 * - `connecting`: first connection;
 * - `connected`: events flow;
 * - `reconnecting`: the socket dropped and pusher-js is retrying (missed events are resynced after);
 * - `failed`: no configuration or no transport; nothing will arrive until the page is reloaded.
 */
export type ConnectionState = 'offline' | 'connecting' | 'connected' | 'reconnecting' | 'failed';

/** Who the socket is for: the user's channel, plus the admins' global channel. */
export interface RealtimeViewer {
  id: number;
  role: 'admin' | 'member';
}

/**
 * The realtime client: laravel-echo over pusher-js on the user's private channel
 * `private-App.Models.User.{id}`, event `.deployment.status-updated`. Channel auth goes through
 * HttpClient, so the session cookie and the XSRF header are sent like any other API call.
 * Emits each event, and `resync` whenever events may have been missed: after a reconnect, and when
 * the server says so (`slipway.resync`: its Redis bus reconnected, so events of other instances
 * may have been lost while the socket itself stayed up).
 */
@Injectable({ providedIn: 'root' })
export class WebsocketService {
  private readonly http = inject(HttpClient);
  private echo: Echo<'pusher'> | null = null;
  private pusher: Pusher | null = null;
  private everConnected = false;
  private generation = 0;

  readonly state = signal<ConnectionState>('offline');
  /** Why the connection is not up, when known (shown in the UI). */
  readonly problem = signal<string | null>(null);
  readonly live = computed(() => this.state() === 'connected');

  readonly events = new Subject<DeploymentStatusUpdated>();
  /** Fires after a reconnect, or on the server's resync hint: fetch current state from the API. */
  readonly resync = new Subject<void>();

  async connect(viewer: RealtimeViewer): Promise<void> {
    this.disconnect();
    const gen = ++this.generation;
    this.state.set('connecting');
    this.problem.set(null);
    let cfg: RealtimeClientConfig;
    try {
      cfg = (await firstValueFrom(this.http.get<ClientConfig>('/api/config'))).realtime;
    } catch {
      if (gen !== this.generation) return;
      this.state.set('failed');
      this.problem.set('Could not load the realtime configuration; live updates are off. Reload the page to retry.');
      return;
    }
    if (gen !== this.generation) return;

    const pusher = new Pusher(cfg.key, {
      cluster: cfg.cluster,
      wsHost: cfg.echo.wsHost,
      wsPort: cfg.echo.wsPort,
      wssPort: cfg.echo.wssPort,
      forceTLS: cfg.echo.forceTLS,
      enabledTransports: cfg.echo.enabledTransports,
      channelAuthorization: {
        endpoint: cfg.echo.authEndpoint,
        transport: 'ajax',
        customHandler: ({ socketId, channelName }, callback) => {
          const body = new HttpParams().set('socket_id', socketId).set('channel_name', channelName);
          this.http.post<ChannelAuthResponse>(cfg.echo.authEndpoint, body).subscribe({
            next: (r) => callback(null, r),
            error: (err: unknown) => callback(err instanceof Error ? err : new Error('channel authorization failed'), null),
          });
        },
      },
    });
    this.pusher = pusher;
    this.echo = new Echo({ broadcaster: 'pusher', client: pusher, key: cfg.key, withoutInterceptors: true });

    pusher.connection.bind('state_change', ({ current }: { previous: string; current: string }) => {
      if (gen !== this.generation) return;
      switch (current) {
        case 'connected':
          this.state.set('connected');
          this.problem.set(null);
          if (this.everConnected) this.resync.next();
          this.everConnected = true;
          break;
        case 'connecting':
        case 'unavailable':
          this.state.set(this.everConnected ? 'reconnecting' : 'connecting');
          if (current === 'unavailable') this.problem.set('Realtime server unreachable; retrying…');
          break;
        case 'failed':
          this.state.set('failed');
          this.problem.set('This browser cannot open a WebSocket; live updates are off.');
          break;
        case 'disconnected':
          this.state.set('offline');
          break;
      }
    });

    const event = `.${cfg.event}`;
    const onEvent = (e: DeploymentStatusUpdated) => {
      if (gen === this.generation) this.events.next(e);
    };
    const channels = [cfg.userChannelPattern.replace('{id}', String(viewer.id))];
    if (viewer.role === 'admin' && cfg.adminChannel) channels.push(cfg.adminChannel);
    for (const name of channels) {
      this.echo
        .private(name.replace(/^private-/, ''))
        .listen(event, onEvent)
        .listen(`.${RESYNC_EVENT_NAME}`, () => {
          if (gen === this.generation) this.resync.next();
        })
        .error(() => {
          if (gen === this.generation) this.problem.set(`Not allowed to follow ${name}; sign in again.`);
        });
    }
  }

  disconnect(): void {
    this.generation++;
    this.everConnected = false;
    this.echo?.disconnect();
    this.echo = null;
    this.pusher = null;
    this.state.set('offline');
  }

  /** The Echo client of the current connection, null while offline (presence channels join through it). */
  client(): Echo<'pusher'> | null {
    return this.echo;
  }

  /** The socket id pusher-js was given (for tests and diagnostics). */
  socketId(): string | undefined {
    return this.pusher?.connection.socket_id;
  }
}
