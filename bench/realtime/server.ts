/**
 * The server side of the realtime bench, run in its own process so its memory is measured alone.
 * `slipway`: Fastify + registerRealtime (embedded driver), events through the deployment
 * Broadcaster, i.e. the path a webhook takes. `baseline`: a plain `ws` server that sends the same
 * JSON to the socket registered for a channel, with no protocol at all.
 * Talks to the bench over IPC: {publish: [id, owner]} in, {ready/memory} out.
 */
import { createServer } from 'node:http';
import Fastify from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import type { DeploymentChange } from '../../apps/server/src/deployments/broadcaster.ts';
import { registerRealtime, realtimeConfig } from '../../apps/server/src/realtime/index.ts';
import { sampleChange } from '../../apps/server/src/realtime/testing.ts';

const mode = process.argv[2] as 'slipway' | 'baseline';
const secret = process.argv[3] ?? 'bench-secret-0123456789';
const send = (m: unknown) => process.send!(m);

function change(id: number, owner: number): DeploymentChange {
  const c = sampleChange(owner, id, { status: 'building', progress: 30, message: 'Building...', finished_at: null });
  c.payload.deployment_id = String(id);
  return c;
}

function memory() {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

let publish: (id: number, owner: number) => void;
let port: number;

if (mode === 'slipway') {
  const app = Fastify({ logger: false });
  // Every bench socket comes from 127.0.0.1: the per-address limits (100 sockets, 100 at once) are
  // lifted, as they would be for a trusted proxy's address.
  const perAddress = { maxConnectionsPerAddress: 100_000, connectionRatePerAddress: 100_000, connectionBurstPerAddress: 100_000 };
  // The presence bench holds 1,000+ members in one channel (Pusher's default limit is 100).
  const config = realtimeConfig({ secret, maxConnections: 100_000, activityTimeout: 600, maxPresenceMembers: 100_000, ...perAddress });
  const realtime = await registerRealtime(app, { config, authenticate: async () => null });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
  publish = (id, owner) => realtime.broadcaster.publish(change(id, owner));
} else {
  const byChannel = new Map<number, WebSocket>();
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, clientTracking: false });
  wss.on('connection', (ws, req) => {
    const owner = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ch'));
    byChannel.set(owner, ws);
    ws.on('close', () => byChannel.delete(owner));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  port = (http.address() as { port: number }).port;
  publish = (id, owner) => byChannel.get(owner)?.send(JSON.stringify(change(id, owner).payload));
}

process.on('message', (m: { publish?: [number, number][]; memory?: boolean; exit?: boolean }) => {
  if (m.publish) for (const [id, owner] of m.publish) publish(id, owner);
  if (m.memory) send({ memory: memory() });
  if (m.exit) process.exit(0);
});
send({ ready: port, memory: memory() });
