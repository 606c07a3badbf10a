import type { ApplicationConfig } from '../config/config.ts';
import type { BranchPublisher, PublishRequest, PublishResult } from '../modules/branch-publisher.ts';

/** Where publish durations go (SlipwayMetrics). */
export interface PublishMetrics {
  published(application: string, outcome: 'ok' | 'error', seconds: number): void;
}

/** A BranchPublisher that times each push per application; the composition root wraps the real one. */
export function timedPublisher(inner: BranchPublisher, metrics: PublishMetrics): BranchPublisher {
  return {
    async publish(app: ApplicationConfig, req: PublishRequest): Promise<PublishResult> {
      const started = performance.now();
      let outcome: 'ok' | 'error' = 'error';
      try {
        const r = await inner.publish(app, req);
        outcome = 'ok';
        return r;
      } finally {
        metrics.published(app.id, outcome, (performance.now() - started) / 1000);
      }
    },
    deleteBranch: (app, branch) => inner.deleteBranch(app, branch),
    readFiles: inner.readFiles && ((app, branch, paths, more) => inner.readFiles!(app, branch, paths, more)),
    headOf: inner.headOf && ((app, branch) => inner.headOf!(app, branch)),
  };
}
