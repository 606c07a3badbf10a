import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startPostgres, type PgServer } from './postgres.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a PostgreSQL server for this run (its `postgres` database; tests create their own). */
    pgUrl: string;
  }
}

let pg: PgServer | undefined;

/** One PostgreSQL server for the whole run, unless TEST_DATABASE_URL names one. */
export async function setup(project: TestProject) {
  // Tests that start real `slipway` processes run the compiled server: compile it if a source changed.
  const built = spawnSync(process.execPath, [fileURLToPath(new URL('../../bin/ensure-built.mjs', import.meta.url))], { stdio: 'inherit' });
  if (built.status !== 0) throw new Error('the server does not compile (see above)');
  if (process.env.TEST_DATABASE_URL) {
    project.provide('pgUrl', process.env.TEST_DATABASE_URL);
    return;
  }
  pg = await startPostgres();
  project.provide('pgUrl', pg.url);
}

export async function teardown() {
  pg?.stop();
}
