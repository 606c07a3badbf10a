import type { Broadcaster, DeploymentChange } from '../deployments/broadcaster.ts';
import type { RealtimeConfig } from './config.ts';
import { deploymentEvent } from './deployment-event.ts';
import type { EventBus } from './event-bus.ts';

/**
 * Deployment changes onto the event bus (embedded or Redis). Synchronous and non-throwing: the
 * local delivery only queues frames on sockets, and Redis publishing is fire-and-forget.
 */
export class BusBroadcaster implements Broadcaster {
  constructor(
    private readonly bus: EventBus,
    private readonly config: RealtimeConfig,
    private readonly onError: (err: unknown) => void,
  ) {}

  publish(change: DeploymentChange): void {
    try {
      const ev = deploymentEvent(this.config, this.config.maxEventBytes, change);
      this.bus.publish({ channels: ev.channels, name: ev.name, data: ev.data });
    } catch (err) {
      this.onError(err);
    }
  }
}
