/**
 * A browser-side subscriber as the web app is one (core/websocket.service.ts, deployment.service.ts):
 * a real pusher-js client on `private-deployments`, keeping each deployment's newest state by
 * sequence, and refetching from the API whenever events may have been missed: after a reconnect,
 * on the server's `slipway.resync` hint, and (one deployment) when its events skip a sequence.
 */
import { RESYNC_EVENT_NAME } from '@slipway/contracts';
import { PusherJs } from '../realtime/testing.ts';
import { call } from '../test-support/http.ts';

export interface Seen {
  status: string;
  sequence: number;
}

interface Payload {
  deployment_id: string;
  status: string;
  sequence: number;
}

export class BrowserSubscriber {
  readonly view = new Map<string, Seen>();
  events = 0;
  resyncs = 0;
  reconnects = 0;
  hints = 0;
  gaps = 0;
  private readonly pusher: InstanceType<typeof PusherJs>;
  private subscribedOnce = false;
  private resyncing: Promise<void> = Promise.resolve();
  readonly subscribed: Promise<void>;

  constructor(
    readonly name: string,
    private readonly base: string,
    key: string,
    private readonly token: string,
  ) {
    this.pusher = new PusherJs(key, {
      cluster: 'mt1',
      wsHost: '127.0.0.1',
      wsPort: Number(new URL(base).port),
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
      channelAuthorization: {
        customHandler: (params: { socketId: string; channelName: string }, callback: (err: Error | null, auth: any) => void) => {
          fetch(`${base}/broadcasting/auth`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ socket_id: params.socketId, channel_name: params.channelName }),
            signal: AbortSignal.timeout(5_000),
          }).then(
            async (res) => (res.ok ? callback(null, await res.json()) : callback(new Error(`auth answered ${res.status}`), null)),
            (err) => callback(err, null),
          );
        },
      } as never,
    });
    // As the web app's WebsocketService: connected again after a drop → fetch the current state.
    let everConnected = false;
    this.pusher.connection.bind('state_change', ({ current }: { current: string }) => {
      if (current !== 'connected') return;
      if (everConnected) {
        this.reconnects++;
        void this.resync();
      }
      everConnected = true;
    });
    const channel = this.pusher.subscribe('private-deployments');
    channel.bind('deployment.status-updated', (p: Payload) => {
      this.events++;
      const known = this.view.get(p.deployment_id);
      // Sequences skipped: some events were lost on the way; the web app fetches that deployment in full.
      if (known && p.sequence > known.sequence + 1) void this.refetch(p.deployment_id);
      this.note(p);
    });
    // The server's hint after its Redis subscription came back (docs/realtime.md): events may be lost.
    channel.bind(RESYNC_EVENT_NAME, () => {
      this.hints++;
      void this.resync();
    });
    this.subscribed = new Promise((resolve) => {
      channel.bind('pusher:subscription_succeeded', () => {
        // Subscribed again: the socket dropped (its instance died, or the server asked it to
        // reconnect), so events may have been missed. The web app refetches here; so does this.
        if (this.subscribedOnce) this.resync();
        this.subscribedOnce = true;
        resolve();
      });
    });
  }

  private note(p: Payload) {
    const known = this.view.get(p.deployment_id);
    if (!known || p.sequence > known.sequence) this.view.set(p.deployment_id, { status: p.status, sequence: p.sequence });
  }

  private async refetch(id: string): Promise<void> {
    this.gaps++;
    const r = await call(this.base, 'GET', `/api/admin/deployments/${id}`, { token: this.token }).catch(() => undefined);
    if (r?.status === 200) this.note(r.body as Payload);
  }

  /** Fetches every deployment's current state (the deployments page's history), newest first. */
  resync(): Promise<void> {
    this.resyncs++;
    this.resyncing = this.resyncing.then(async () => {
      for (let page = 1; page <= 50; page++) {
        const r = await call(this.base, 'GET', `/api/admin/deployments?per_page=100&page=${page}`, { token: this.token }).catch(() => undefined);
        // The instance went away again: the next subscription brings the next resync.
        if (!r || r.status !== 200) return;
        for (const d of r.body.data as Payload[]) this.note(d);
        if (r.body.data.length < 100) return;
      }
    });
    return this.resyncing;
  }

  /** pusher-js's connection state (`connected` when events flow). */
  get state(): string {
    return this.pusher.connection.state;
  }

  disconnect() {
    this.pusher.disconnect();
  }
}
