/**
 * Presence bench: one presence channel held by 1,000 members while others join and leave at a
 * steady rate, and plain events published at the same rate to a watcher in the same run. Prints
 * the latency of `member_added` (join sent → the watcher hears of it) beside that of a plain event
 * (published → delivered), p50/p95/p99, on the embedded server in its own process.
 *
 *   node --import tsx bench/realtime/presence.ts [--members 1000] [--rate 10] [--seconds 10] [--pool 50]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { signChannel } from '../../apps/server/src/realtime/signatures.ts';
import { DEFAULT_APP_ID, DEFAULT_APP_KEY } from '../../apps/server/src/realtime/config.ts';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '10' },
    seconds: { type: 'string', default: '10' },
    pool: { type: 'string', default: '50' },
  },
});
const MEMBERS = Number(values.members);
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const POOL = Number(values.pool);
const SECRET = 'bench-secret-0123456789';
const app = { id: DEFAULT_APP_ID, key: DEFAULT_APP_KEY, secret: SECRET };
const ROOM = 'presence-bench';

const child = fork(fileURLToPath(new URL('./server.ts', import.meta.url)), ['slipway', SECRET], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const port = await new Promise<number>((resolve, reject) => {
  child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  child.once('message', (m: { ready: number }) => resolve(m.ready));
});

interface Client {
  ws: WebSocket;
  socketId: string;
  on(event: string, cb: (msg: { event: string; channel?: string; data: any }) => void): void;
  /** Stops reading messages (members that only stay): the bench process must not be the bottleneck. */
  quiet(): void;
}

function open(): Promise<Client> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${app.key}?protocol=7&client=bench&version=1`, { perMessageDeflate: false });
  const handlers = new Map<string, ((m: any) => void)[]>();
  let quiet = false;
  ws.on('message', (raw) => {
    if (quiet) return;
    const m = JSON.parse(raw.toString());
    if (typeof m.data === 'string') m.data = JSON.parse(m.data);
    for (const h of handlers.get(m.event) ?? []) h(m);
  });
  const client: Client = { ws, socketId: '', on: (e, cb) => handlers.set(e, [...(handlers.get(e) ?? []), cb]), quiet: () => (quiet = true) };
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    client.on('pusher:connection_established', (m) => {
      client.socketId = m.data.socket_id;
      resolve(client);
    });
  });
}

function join(c: Client, userId: string): void {
  const channelData = JSON.stringify({ user_id: userId, user_info: { name: `user ${userId}` } });
  c.ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: ROOM, auth: signChannel(app, c.socketId, ROOM, channelData), channel_data: channelData } }));
}
const subscribed = (c: Client) => new Promise<void>((resolve) => c.on('pusher_internal:subscription_succeeded', () => resolve()));

// The watcher: in the room, and on user 0's private channel for the plain events.
const watcher = await open();
const joinSent = new Map<string, number>();
const memberLatency: number[] = [];
const plainSent = new Map<number, number>();
const plainLatency: number[] = [];
watcher.on('pusher_internal:member_added', (m) => {
  const t0 = joinSent.get(m.data.user_id);
  if (t0 !== undefined) memberLatency.push(performance.now() - t0);
});
watcher.on('deployment.status-updated', (m) => {
  const t0 = plainSent.get(Number(m.data.deployment_id));
  if (t0 !== undefined) plainLatency.push(performance.now() - t0);
});
const userChannel = 'private-App.Models.User.0';
watcher.ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: userChannel, auth: signChannel(app, watcher.socketId, userChannel) } }));
join(watcher, 'watcher');
await subscribed(watcher);

// 1,000 members who stay.
const started = performance.now();
for (let i = 0; i < MEMBERS; i += 100) {
  await Promise.all(
    Array.from({ length: Math.min(100, MEMBERS - i) }, async (_, k) => {
      const c = await open();
      const ok = subscribed(c);
      join(c, `member-${i + k}`);
      await ok;
      c.quiet();
    }),
  );
}
console.log(`${MEMBERS} members joined in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// Churn: a pool of sockets joining as a new user, then leaving, RATE joins per second; plain events at the same rate.
const pool = await Promise.all(Array.from({ length: POOL }, () => open()));
for (const c of pool) c.quiet();
let next = 0;
let seq = 0;
const pause = (until: number) => new Promise((r) => setTimeout(r, Math.max(0, until - performance.now())));
const tick = 1000 / RATE;
const end = performance.now() + SECONDS * 1000;
let t = performance.now();
while (performance.now() < end) {
  const c = pool[next++ % POOL]!;
  const userId = `churn-${next}`;
  c.ws.send(JSON.stringify({ event: 'pusher:unsubscribe', data: { channel: ROOM } }));
  joinSent.set(userId, performance.now());
  join(c, userId);
  // Half a tick later, so the plain event does not queue behind this join's fan-out.
  await pause(t + tick / 2);
  const id = ++seq;
  plainSent.set(id, performance.now());
  child.send({ publish: [[id, 0]] });
  t += tick;
  await pause(t);
}
await new Promise((r) => setTimeout(r, 1_000));

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const row = (name: string, xs: number[], sent: number) =>
  `${name.padEnd(14)} ${String(xs.length).padStart(6)}/${String(sent).padEnd(6)} p50 ${pct(xs, 50).toFixed(2)} ms  p95 ${pct(xs, 95).toFixed(2)} ms  p99 ${pct(xs, 99).toFixed(2)} ms`;
console.log(`presence churn: ${MEMBERS} members held, ${RATE} joins+leaves/s and ${RATE} plain events/s for ${SECONDS} s (2 cores)`);
console.log(row('member_added', memberLatency, joinSent.size));
console.log(row('plain event', plainLatency, plainSent.size));
console.log(`ratio p99 ${(pct(memberLatency, 99) / pct(plainLatency, 99)).toFixed(2)}×`);

for (const c of [watcher, ...pool]) c.ws.terminate();
child.send({ exit: true });
process.exit(0);
