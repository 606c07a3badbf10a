import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import type { Config } from './config/config.ts';
import { createContext, type AppContext } from './context.ts';
import { ensureInitialAdmin } from './auth/initial-admin.ts';
import { createLogger, type LoggerOptions } from './logging/logger.ts';
import { takeSqliteServerLock } from './db/sqlite-server-lock.ts';

export interface RunningServer {
  app: FastifyInstance;
  ctx: AppContext;
  /** http://host:port as it listens (the real port when PORT=0). */
  url: string;
  /**
   * Stops in reverse order. `jobGraceMs` (a shutdown): the queue claims nothing more at once, its
   * running jobs get that long to finish while HTTP drains, and the rest go back to the queue.
   */
  close(opts?: { jobGraceMs?: number }): Promise<CloseReport>;
}

export interface CloseReport {
  /** Jobs given back to the queue unfinished (their ids). */
  releasedJobs: number[];
}

/**
 * Composition root: database (migrated), services, HTTP app, then listen. Shuts down in reverse.
 * `print` receives what must reach the operator once (a generated admin password); `log` chooses
 * the log's format and destination (readable on a terminal, JSON otherwise).
 */
export async function startServer(config: Config, opts: { print?: (line: string) => void; log?: LoggerOptions } = {}): Promise<RunningServer> {
  const logger = createLogger(config.logLevel, opts.log);
  // One server per SQLite file (docs/scaling.md); taken first, so a refused start opens nothing.
  const serverLock = config.database.kind === 'sqlite' ? takeSqliteServerLock(config.database.file) : undefined;
  let ctx: AppContext;
  try {
    ctx = await createContext(config, logger);
  } catch (err) {
    serverLock?.release();
    throw err;
  }
  let app: FastifyInstance | undefined;
  try {
    await ensureInitialAdmin(ctx.auth, config.admin, opts.print ?? ((l) => process.stdout.write(`${l}\n`)));
    app = await buildApp(ctx, logger);
    await app.listen({ port: config.port, host: config.host });
    // SLIPWAY_METRICS_PORT: /metrics on a listener of its own (closed by ctx.close).
    await ctx.metricsServer?.listen(config.host);
    ctx.jobs.start();
    // The watchdog and the retention sweep, on the instance that holds the leader lock.
    ctx.leader.start();
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : config.port;
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    ctx.runner?.start(`http://${host}:${port}`);
    return {
      app,
      ctx,
      url: `http://${host}:${port}`,
      async close(o = {}) {
        // Side by side: the jobs' grace runs while app.close() stops accepting, closes the
        // websockets (4200: reconnect at once) and waits for the requests under way.
        const [, releasedJobs] = await Promise.all([app?.close(), ctx.jobs.stop({ graceMs: o.jobGraceMs })]);
        await ctx.close();
        serverLock?.release();
        return { releasedJobs };
      },
    };
  } catch (err) {
    // A port in use fails here, after the app is built: close it too (its realtime server).
    await app?.close();
    await ctx.close();
    serverLock?.release();
    throw err;
  }
}
