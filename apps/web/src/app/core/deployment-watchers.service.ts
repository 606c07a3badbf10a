import { Injectable, type Signal, type WritableSignal, effect, inject, signal } from '@angular/core';
import { WebsocketService } from './websocket.service';

/** Someone with a deployment's dialog open (the server's presence `user_info`). */
export interface Watcher {
  id: number;
  email: string;
}

interface Watched {
  members: WritableSignal<Watcher[]>;
  /** The Echo client it was joined on: a new client (reconnect from scratch) must join again. */
  joinedOn: unknown;
  refs: number;
}

/**
 * Who is watching a deployment, through its presence channel `presence-deployment.{id}` (the
 * server signs it only for those allowed to see the deployment). A deployment is joined while at
 * least one view watches it, and again on each new connection.
 */
@Injectable({ providedIn: 'root' })
export class DeploymentWatchersService {
  private readonly ws = inject(WebsocketService);
  private readonly watched = new Map<string, Watched>();

  constructor() {
    effect(() => {
      this.ws.state();
      for (const [id, w] of this.watched) this.join(id, w);
    });
  }

  /** Everyone watching deployment `id` (the caller included once joined), kept up to date. */
  watch(id: string): Signal<Watcher[]> {
    let w = this.watched.get(id);
    if (!w) {
      w = { members: signal<Watcher[]>([]), joinedOn: null, refs: 0 };
      this.watched.set(id, w);
    }
    w.refs++;
    this.join(id, w);
    return w.members.asReadonly();
  }

  unwatch(id: string): void {
    const w = this.watched.get(id);
    if (!w || --w.refs > 0) return;
    this.watched.delete(id);
    this.ws.client()?.leave(channelOf(id));
  }

  private join(id: string, w: Watched): void {
    const echo = this.ws.client();
    if (!echo || w.joinedOn === echo) return;
    w.joinedOn = echo;
    echo
      .join(channelOf(id))
      .here((users: Watcher[]) => w.members.set(users))
      .joining((u: Watcher) => w.members.update((list) => [...list.filter((x) => x.id !== u.id), u]))
      .leaving((u: Watcher) => w.members.update((list) => list.filter((x) => x.id !== u.id)))
      // Not allowed (or the server refuses): nobody is shown, the dialog works as before.
      .error(() => w.members.set([]));
  }
}

/** Echo's name for `presence-deployment.{id}`. */
const channelOf = (id: string) => `deployment.${id}`;
