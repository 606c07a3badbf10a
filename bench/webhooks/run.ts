/**
 * Signed webhook intake against a bare Fastify route, in the same run, on this machine.
 * Prints throughput (autocannon at its max rate, 10 connections) and latency at a steady
 * 1,000 requests/s (an open-loop paced sender: see paced-load.ts for why not autocannon's rate).
 * Targets (issue 2): intake ≥ 50% of the bare route's throughput; p99 < 5 ms at 1,000 req/s (SQLite).
 *
 * Three servers: the bare route, a minimal hand-written durable intake (minimal-server.ts: the
 * floor a commit per delivery sets on this machine), and Slipway.
 *
 *   node --import tsx bench/webhooks/run.ts [--seconds 10] [--rounds 3]
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { freePort, startNode, stop, table, waitFor } from '../lib.ts';
import { pacedLoad } from './paced-load.ts';

const arg = (name: string) => Number(process.argv[process.argv.indexOf(name) + 1]);
const seconds = arg('--seconds') || 10;
const rounds = arg('--rounds') || 3;
const SECRET = 'bench-secret-0123456789';
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

interface Server {
  name: string;
  url: string;
  child: ReturnType<typeof startNode>;
}

async function start(name: string, args: string[], env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = startNode(args, { PORT: String(port), ...env });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/healthz`, child);
  await pacedLoad(url, 500, 3, signedReport); // warm-up (JIT, SQLite pages)
  return { name, url, child };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dataDir = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
const servers: Server[] = [];
try {
  const env = { SLIPWAY_DATA_DIR: dataDir, DOKPLOY_WEBHOOK_SECRET: SECRET };
  servers.push(await start('bare Fastify route', ['--import', 'tsx', join(root, 'bench/webhooks/bare-server.ts')], {}));
  servers.push(await start('minimal durable intake', ['--import', 'tsx', join(root, 'bench/webhooks/minimal-server.ts')], env));
  servers.push(
    await start('Slipway intake (SQLite)', [join(root, 'apps/server/bin/slipway.mjs'), 'start'], { ...env, LOG_LEVEL: 'info', SLIPWAY_ADMIN_PASSWORD: 'bench-password', HOST: '127.0.0.1' }),
  );
  // Rounds interleave the servers, so a noisy minute on this shared machine hits all of them.
  const results = servers.map(() => ({ max: [] as Awaited<ReturnType<typeof measure>>[], fixed: [] as Awaited<ReturnType<typeof pacedLoad>>[] }));
  for (let round = 1; round <= rounds; round++) {
    for (const [i, s] of servers.entries()) results[i]!.max.push(await measure(s.url));
    for (const [i, s] of servers.entries()) results[i]!.fixed.push(await pacedLoad(s.url, 1000, seconds, signedReport));
    console.error(`round ${round}/${rounds}: ${servers.map((s, i) => `${s.name} ${Math.round(results[i]!.max.at(-1)!.rps)} req/s, p99 ${results[i]!.fixed.at(-1)!.p99} ms`).join('; ')}`);
  }

  const rows: (string | number)[][] = [['', 'max req/s', 'p50 ms', 'p99 ms', '@1000 req/s: p50 ms', 'p99 ms', 'max ms', 'non-2xx/errors']];
  for (const [i, s] of servers.entries()) {
    const { max, fixed } = results[i]!;
    const failed = [...max.map((m) => m.non2xx + m.errors), ...fixed.map((f) => f.non2xx + f.errors)].reduce((a, b) => a + b, 0);
    rows.push([s.name, Math.round(median(max.map((m) => m.rps))), median(max.map((m) => m.p50)), median(max.map((m) => m.p99)), median(fixed.map((f) => f.p50)), median(fixed.map((f) => f.p99)), median(fixed.map((f) => f.max)), failed]);
  }
  console.log(`medians of ${rounds} interleaved rounds of ${seconds} s each\n`);
  console.log(table(rows));
  const ratio = (i: number) => median(results[i]!.max.map((m, r) => m.rps / results[0]!.max[r]!.rps));
  console.log(`\nthroughput ratio Slipway / bare: ${(ratio(2) * 100).toFixed(1)}% (target ≥ 50%); minimal durable intake / bare: ${(ratio(1) * 100).toFixed(1)}%`);
  console.log(`p99 at 1,000 req/s: Slipway ${rows[3]![5]} ms (target < 5 ms); bare ${rows[1]![5]} ms; minimal ${rows[2]![5]} ms`);
  console.log(`logs: Slipway logs each delivery at info (the spec's Debugging line), written to /dev/null here`);
} finally {
  for (const s of servers) await stop(s.child);
  rmSync(dataDir, { recursive: true, force: true });
}
