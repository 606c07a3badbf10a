import type { FastifyBaseLogger } from 'fastify';
import type { CloseReport } from '../main.ts';

export interface Stoppable {
  close(opts?: { jobGraceMs?: number }): Promise<CloseReport>;
}

export interface ShutdownOptions {
  /** SLIPWAY_SHUTDOWN_TIMEOUT_MS: past it, the process exits with 1 whatever is still running. */
  timeoutMs: number;
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  exit?: (code: number) => void;
}

/**
 * Graceful shutdown on SIGTERM and SIGINT (docs/operations.md): stop accepting connections, close
 * the websockets with 4200 (pusher-js reconnects at once, to another instance behind the same
 * address), give running jobs half the bound to finish and release the rest to the queue, close
 * the database, and exit 0 — or exit 1 once `timeoutMs` has passed. A second signal exits at once (1).
 */
export function shutdownOnSignals(server: Stoppable, o: ShutdownOptions): void {
  const exit = o.exit ?? ((code: number) => process.exit(code));
  let closing = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (closing) {
      o.log.warn(`${signal} again: exiting now, without finishing the shutdown`);
      exit(1);
      return;
    }
    closing = true;
    const started = Date.now();
    o.log.info(`${signal}: shutting down (at most ${o.timeoutMs} ms)`);
    const force = setTimeout(() => {
      o.log.error(`the shutdown did not finish within ${o.timeoutMs} ms (SLIPWAY_SHUTDOWN_TIMEOUT_MS): exiting with 1`);
      exit(1);
    }, o.timeoutMs);
    force.unref();
    try {
      const { releasedJobs } = await server.close({ jobGraceMs: Math.floor(o.timeoutMs / 2) });
      if (releasedJobs.length > 0) o.log.info({ jobs: releasedJobs }, `released ${releasedJobs.length} unfinished job(s) to the queue`);
      o.log.info(`stopped in ${Date.now() - started} ms`);
      clearTimeout(force);
      exit(0);
    } catch (err) {
      o.log.error({ err }, 'the shutdown failed');
      clearTimeout(force);
      exit(1);
    }
  };
  process.on('SIGINT', (s) => void stop(s));
  process.on('SIGTERM', (s) => void stop(s));
}
