/**
 * Signed webhook intake against a bare Fastify route, in the same run, on this machine.
 * Prints throughput (autocannon at its max rate, 10 connections) and latency at a steady
 * 1,000 requests/s (an open-loop paced sender: see paced-load.ts for why not autocannon's rate).
 * Targets (issue 2): intake ≥ 50% of the bare route's throughput; p99 < 5 ms at 1,000 req/s (SQLite).
 *
 *   node --import tsx bench/webhooks/run.ts [--seconds 10]
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { freePort, startNode, stop, table, waitFor } from '../lib.ts';
import { pacedLoad } from './paced-load.ts';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1]) || 10;
const SECRET = 'bench-secret';
const root = resolve(import.meta.dirname, '../..');
let n = 0;

/** Each request a new CI report (a new deployment), signed the spec's way. */
function signedReport() {
  const body = JSON.stringify({ deploymentId: `gh-${process.pid}-${n++}`, applicationId: 'backend', status: 'running', branch: 'module/bench', commit: 'abc1234', message: 'Building...' });
  const headers = { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}` };
  return { path: '/api/webhooks/dokploy/deployment', headers, body };
}

function signedRequest() {
  return {
    method: 'POST' as const,
    path: '/api/webhooks/dokploy/deployment',
    setupRequest: (req: any) => ({ ...req, ...signedReport() }),
  };
}

async function measure(url: string) {
  const r = await autocannon({ url, connections: 10, duration: seconds, requests: [signedRequest()] });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

async function run(name: string, args: string[], env: Record<string, string>) {
  const port = await freePort();
  const child = startNode(args, { PORT: String(port), ...env });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/healthz`, child);
    await pacedLoad(url, 500, 3, signedReport); // warm-up (JIT, SQLite pages)
    const max = await measure(url);
    const fixed = await pacedLoad(url, 1000, seconds, signedReport);
    return { name, max, fixed };
  } finally {
    await stop(child);
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
try {
  const bare = await run('bare Fastify route', ['--import', 'tsx', join(root, 'bench/webhooks/bare-server.ts')], {});
  const slipway = await run('Slipway intake (SQLite)', [join(root, 'apps/server/bin/slipway.mjs'), 'start'], {
    SLIPWAY_DATA_DIR: dataDir,
    DOKPLOY_WEBHOOK_SECRET: SECRET,
    LOG_LEVEL: 'info',
    SLIPWAY_ADMIN_PASSWORD: 'bench-password',
    HOST: '127.0.0.1',
  });
  const rows: (string | number)[][] = [['', 'max req/s', 'p50 ms', 'p99 ms', 'non-2xx', '@1000 req/s: p50 ms', 'p99 ms', 'max ms', 'non-2xx/errors']];
  for (const r of [bare, slipway]) rows.push([r.name, Math.round(r.max.rps), r.max.p50, r.max.p99, r.max.non2xx, r.fixed.p50, r.fixed.p99, r.fixed.max, r.fixed.non2xx + r.fixed.errors]);
  console.log(table(rows));
  const ratio = slipway.max.rps / bare.max.rps;
  console.log(`\nthroughput ratio Slipway / bare: ${(ratio * 100).toFixed(1)}% (target ≥ 50%)`);
  console.log(`p99 at 1,000 req/s: ${slipway.fixed.p99} ms (target < 5 ms)`);
  console.log(`logs: the intake logs each delivery at info (the spec's Debugging line), written to /dev/null here`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
