#!/usr/bin/env node
// End-to-end tests of the web app: builds apps/web when its build is missing (or with --build),
// then runs e2e/*.e2e.test.mjs with node:test, one file at a time. Each file starts its own
// `slipway start` on a free port with a throwaway SLIPWAY_DATA_DIR.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, WEB_ROOT } from './support/slipway.mjs';

const args = process.argv.slice(2);
if (args.includes('--build') || !existsSync(join(WEB_ROOT, 'index.html'))) {
  console.log('# building apps/web');
  const b = spawnSync('timeout', ['300', 'npx', 'ng', 'build'], { cwd: join(ROOT, 'apps', 'web'), stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}
const files = readdirSync(join(ROOT, 'e2e'))
  .filter((f) => f.endsWith('.e2e.test.mjs'))
  .map((f) => join('e2e', f));
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { cwd: ROOT, stdio: 'inherit' });
process.exit(r.status ?? 1);
