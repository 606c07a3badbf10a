import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { databaseLabel, listenFailure, migrationSummary } from './server-messages.ts';
import { shutdownOnSignals } from './shutdown.ts';

export function registerServerCommands(program: Command): void {
  program
    .command('start')
    .description('run the Slipway server (migrates the database first)')
    .action(async () => {
      const config = loadConfig();
      // Loaded here, not at the top: `slipway --help` and the other commands need none of the server.
      const { startServer } = await import('../main.ts');
      const server = await startServer(config).catch((err: unknown) => {
        throw listenFailure(err, config.host, config.port) ?? err;
      });
      server.app.log.info(`Slipway is listening on ${server.url}`);
      shutdownOnSignals(server, { timeoutMs: config.shutdownTimeoutMs, log: server.app.log });
    });

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async () => {
      const config = loadConfig();
      const { openDatabase } = await import('../db/database.ts');
      const database = openDatabase(config);
      try {
        const { results } = await database.migrate();
        const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
        process.stdout.write(`${migrationSummary(applied, databaseLabel(config.database))}\n`);
      } finally {
        await database.close();
      }
    });
}
