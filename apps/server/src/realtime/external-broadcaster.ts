import Pusher from 'pusher';
import type { Broadcaster, DeploymentChange } from '../deployments/broadcaster.ts';
import type { RealtimeConfig } from './config.ts';
import { deploymentEvent } from './deployment-event.ts';

/** At most this many triggers in flight: if the service hangs, later events are dropped, not queued without end. */
const MAX_IN_FLIGHT = 200;

export function pusherClient(cfg: RealtimeConfig): Pusher {
  const useTLS = (cfg.scheme ?? 'https') === 'https';
  return new Pusher({
    appId: cfg.appId,
    key: cfg.key,
    secret: cfg.secret,
    useTLS,
    ...(cfg.host ? { host: cfg.host, port: String(cfg.port ?? (useTLS ? 443 : 80)) } : { cluster: cfg.cluster }),
    // Every wait on the network has a timeout.
    timeout: 5_000,
  });
}

/**
 * Deployment changes to an external Pusher-compatible service (Pusher Channels, Soketi, Sockudo,
 * Reverb) through the official SDK. Fire-and-forget with a bound on requests in flight.
 */
export class ExternalBroadcaster implements Broadcaster {
  private readonly pusher: Pusher;
  private inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly config: RealtimeConfig,
    private readonly onError: (err: unknown) => void,
  ) {
    this.pusher = pusherClient(config);
  }

  publish(change: DeploymentChange): void {
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      this.onError(new Error(`external broadcaster: ${MAX_IN_FLIGHT} requests in flight, dropping deployment ${change.deploymentId} #${change.sequence}`));
      return;
    }
    try {
      const ev = deploymentEvent(this.config, this.config.maxEventBytes, change);
      const p: Promise<unknown> = this.pusher
        .trigger(ev.channels, ev.name, ev.payload)
        .catch(this.onError)
        .finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    } catch (err) {
      this.onError(err);
    }
  }

  /** Lets triggers already sent finish (each bounded by the SDK timeout). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }
}
