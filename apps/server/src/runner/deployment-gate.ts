import type { Db } from '../db/database.ts';
import type { DeploymentsStore } from '../deployments/deployments.store.ts';
import type { RunJob } from './local-runner.ts';

/**
 * The module publisher pushes each target's branch, then creates the deployment. A run's first
 * report must not beat it, or it would be correlated to a new deployment of its own: this waits
 * (polling, bounded) until an open target of that application, branch and commit exists. A push
 * nobody published (a person's) simply waits out the bound; the build runs meanwhile.
 */
export function deploymentGate(db: Db, store: Pick<DeploymentsStore, 'findOpenTarget'>, o: { timeoutMs?: number; pollMs?: number } = {}) {
  return async (run: RunJob): Promise<void> => {
    const deadline = Date.now() + (o.timeoutMs ?? 10_000);
    while (Date.now() < deadline) {
      if (await store.findOpenTarget(db, run.branch, run.app, run.commit).catch(() => undefined)) return;
      await new Promise((r) => setTimeout(r, o.pollMs ?? 200));
    }
  };
}
