import type { DeploymentStatusUpdated } from '@slipway/contracts';

/** One accepted change of a deployment, emitted after its transaction committed. */
export interface DeploymentChange {
  deploymentId: string;
  /** The user who owns the deployment (their private channel), or null when nobody does. */
  ownerId: number | null;
  sequence: number;
  /** When Slipway published the deployment (its creation by a module publish); null when CI started it. For metrics. */
  publishedAt?: string | null;
  payload: DeploymentStatusUpdated;
}

/**
 * The seam between the deployment domain and realtime delivery. `publish` must not throw nor block
 * the caller for long: a webhook's answer never waits on, or fails because of, a broadcast.
 */
export interface Broadcaster {
  publish(change: DeploymentChange): void | Promise<void>;
  close?(): Promise<void>;
}

/** Fan-out to several broadcasters; one failing never stops the others. */
export class BroadcasterSet implements Broadcaster {
  private readonly members: Broadcaster[] = [];
  constructor(private readonly onError: (err: unknown) => void = () => {}) {}

  add(b: Broadcaster): void {
    this.members.push(b);
  }

  publish(change: DeploymentChange): void {
    for (const b of this.members) {
      try {
        const r = b.publish(change);
        if (r && typeof (r as Promise<void>).catch === 'function') (r as Promise<void>).catch(this.onError);
      } catch (err) {
        this.onError(err);
      }
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.members.map((b) => b.close?.()));
  }
}
