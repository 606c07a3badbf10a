/** One event for some channels, as the HTTP API, client events and deployment broadcasts produce it. */
export interface RealtimeEvent {
  channels: string[];
  name: string;
  /** Already a string: it goes on the wire as the protocol's double-encoded `data`. */
  data: string;
  /** The sender's socket, left out of the delivery (Pusher's `socket_id`). */
  exceptSocketId?: string | undefined;
}

/**
 * Where events go to reach every socket that should get them. Embedded: this process's sockets.
 * Redis: this process's sockets, and every other instance's through pub/sub.
 */
export interface EventBus {
  publish(event: RealtimeEvent): void;
  close(): Promise<void>;
}

export class LocalBus implements EventBus {
  constructor(private readonly deliver: (event: RealtimeEvent) => void) {}
  publish(event: RealtimeEvent): void {
    this.deliver(event);
  }
  async close(): Promise<void> {}
}
