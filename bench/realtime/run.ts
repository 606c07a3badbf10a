/**
 * Realtime bench: N connections, each on its own private channel, events published at a steady
 * rate; delivery latency p50/p95/p99 and server memory per idle connection, for Slipway's embedded
 * Pusher server and, in the same run, a plain `ws` baseline with no protocol. Prints the ratios.
 *
 *   node --import tsx bench/realtime/run.ts [--connections 5000] [--rate 1000] [--seconds 10] [--rounds 2]
 *
 * Rounds alternate the order (baseline first, then Slipway first) and each mode is judged on its
 * best round: other processes on the machine only ever add latency, to whichever runs beside them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { signChannel } from '../../apps/server/src/realtime/signatures.ts';
import { DEFAULT_APP_ID, DEFAULT_APP_KEY } from '../../apps/server/src/realtime/config.ts';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '5000' },
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
  },
});
const N = Number(values.connections);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const ROUNDS = Math.max(1, Number(values.rounds));
const SECRET = 'bench-secret-0123456789';
const app = { id: DEFAULT_APP_ID, key: DEFAULT_APP_KEY, secret: SECRET };

type Mode = 'slipway' | 'baseline';
interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}
interface Result {
  mode: Mode;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  delivered: number;
  published: number;
  rssPerConn: number;
  heapPerConn: number;
}

function startServer(mode: Mode): Promise<{ child: ChildProcess; port: number; memory: Memory }> {
  const child = fork(fileURLToPath(new URL('./server.ts', import.meta.url)), [mode, SECRET], {
    execArgv: ['--import', 'tsx', '--expose-gc', ...(process.env.BENCH_TRACE_GC ? ['--trace-gc'] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
    child.once('message', (m: { ready: number; memory: Memory }) => resolve({ child, port: m.ready, memory: m.memory }));
  });
}

const askMemory = (child: ChildProcess) =>
  new Promise<Memory>((resolve) => {
    child.once('message', (m: { memory: Memory }) => resolve(m.memory));
    child.send({ memory: true });
  });

/** Opens one client; resolves once it can receive (subscribed, for the Pusher protocol). */
function connect(mode: Mode, port: number, owner: number, onEvent: (id: number) => void): Promise<WebSocket> {
  const url = mode === 'slipway' ? `ws://127.0.0.1:${port}/app/${app.key}?protocol=7&client=bench&version=1` : `ws://127.0.0.1:${port}/?ch=${owner}`;
  const ws = new WebSocket(url, { perMessageDeflate: false });
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    if (mode === 'baseline') ws.once('open', () => resolve(ws));
    const channel = `private-App.Models.User.${owner}`;
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString());
      if (mode === 'baseline') return onEvent(Number(msg.deployment_id));
      if (msg.event === 'deployment.status-updated') return onEvent(Number(JSON.parse(msg.data).deployment_id));
      if (msg.event === 'pusher:connection_established') {
        const socketId = JSON.parse(msg.data).socket_id;
        ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, auth: signChannel(app, socketId, channel) } }));
      } else if (msg.event === 'pusher_internal:subscription_succeeded') resolve(ws);
      else if (msg.event === 'pusher:error' || msg.event === 'pusher:subscription_error') reject(new Error(raw.toString()));
    });
  });
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function run(mode: Mode): Promise<Result> {
  const { child, port, memory: before } = await startServer(mode);
  const sentAt = new Float64Array(RATE * (SECONDS + 1) + 1);
  const latencies: number[] = [];
  const onEvent = (id: number) => {
    if (id > RATE) latencies.push(performance.now() - sentAt[id]!);
  };

  const sockets: WebSocket[] = [];
  const t0 = performance.now();
  for (let i = 0; i < N; i += 250) {
    const batch = [];
    for (let j = i; j < Math.min(N, i + 250); j++) batch.push(connect(mode, port, j + 1, onEvent));
    sockets.push(...(await Promise.all(batch)));
  }
  const connectS = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 1_000));
  const idle = await askMemory(child);

  // Steady rate: a tick every 2 ms publishes what is due, each event to a random connection's
  // channel. The first second warms up (JIT, buffers) and is not counted.
  const warm = RATE;
  const total = warm + RATE * SECONDS;
  let id = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - start) / 1000) * RATE));
      const batch: [number, number][] = [];
      while (id < due) {
        id++;
        sentAt[id] = performance.now();
        batch.push([id, 1 + Math.floor(Math.random() * N)]);
      }
      if (batch.length) child.send({ publish: batch });
      if (id >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 2);
  });
  const deadline = performance.now() + 5_000;
  while (latencies.length < total - warm && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));

  for (const ws of sockets) ws.terminate();
  child.send({ exit: true });
  const sorted = latencies.sort((a, b) => a - b);
  const r: Result = {
    mode,
    p50: pct(sorted, 50),
    p95: pct(sorted, 95),
    p99: pct(sorted, 99),
    max: sorted.at(-1) ?? NaN,
    delivered: latencies.length,
    published: total - warm,
    rssPerConn: (idle.rss - before.rss) / N,
    heapPerConn: (idle.heapUsed + idle.external - before.heapUsed - before.external) / N,
  };
  console.log(
    `${mode.padEnd(8)} ${N} connections in ${connectS.toFixed(1)} s; ${r.delivered}/${r.published} delivered; ` +
      `latency ms p50 ${r.p50.toFixed(2)} p95 ${r.p95.toFixed(2)} p99 ${r.p99.toFixed(2)} max ${r.max.toFixed(2)}; ` +
      `memory per idle connection: rss ${(r.rssPerConn / 1024).toFixed(1)} KB, heap+external ${(r.heapPerConn / 1024).toFixed(1)} KB`,
  );
  return r;
}

console.log(`realtime bench: ${N} connections, ${RATE} events/s for ${SECONDS} s, one private channel each (node ${process.version})`);
const best = new Map<Mode, Result>();
for (let round = 0; round < ROUNDS; round++) {
  const order: Mode[] = round % 2 === 0 ? ['baseline', 'slipway'] : ['slipway', 'baseline'];
  for (const m of order) {
    const r = await run(m);
    const prev = best.get(m);
    if (!prev || r.p99 < prev.p99) best.set(m, r);
  }
}
const baseline = best.get('baseline')!;
const slipway = best.get('slipway')!;
console.log(`best of ${ROUNDS} round(s):`);
const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
console.log(
  `ratio slipway/baseline: p50 ${ratio(slipway.p50, baseline.p50)}x, p99 ${ratio(slipway.p99, baseline.p99)}x, ` +
    `rss per connection ${ratio(slipway.rssPerConn, baseline.rssPerConn)}x`,
);
const ok = slipway.delivered === slipway.published && slipway.p99 < 10 && slipway.rssPerConn < 20 * 1024;
console.log(`targets (all delivered, p99 < 10 ms at ${RATE}/s, < 20 KB per idle connection): ${ok ? 'met' : 'NOT met'}`);
process.exit(0);
