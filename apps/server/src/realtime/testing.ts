/**
 * Test helpers for realtime: a small Fastify app with a token → user `authenticate`, and the real
 * clients (pusher-js, laravel-echo, a raw `ws` socket) pointed at it. Used by tests and the bench.
 */
import { connect } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import * as pusherJs from 'pusher-js';
import Echo from 'laravel-echo';
import WebSocket from 'ws';

// pusher-js is CommonJS typed with `export default`: at runtime the class is the namespace's
// `default`, while NodeNext types put it one level deeper.
export const PusherJs = pusherJs.default as unknown as typeof pusherJs.default.default;
export type PusherJs = pusherJs.default;

import Pusher from 'pusher';
import type { DeploymentChange } from '../deployments/broadcaster.ts';
import { realtimeConfig, type RealtimeConfig, type RealtimeConfigInput } from './config.ts';
import { registerRealtime, type Realtime, type RealtimeOptions, type RealtimeUser } from './index.ts';

export const USERS: Record<string, RealtimeUser> = {
  'alice-token': { id: 1, email: 'alice@example.test', role: 'member' },
  'bob-token': { id: 2, email: 'bob@example.test', role: 'member' },
  'admin-token': { id: 3, email: 'admin@example.test', role: 'admin' },
};

export const TEST_SECRET = 'test-secret-0123456789';

export async function bearerAuthenticate(req: FastifyRequest): Promise<RealtimeUser | null> {
  const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
  return (m && USERS[m[1]!]) || null;
}

export interface TestApp {
  app: FastifyInstance;
  realtime: Realtime;
  config: RealtimeConfig;
  port: number;
  base: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** The client address seam of registerRealtime (tests name clients by a header). */
  clientAddress?: RealtimeOptions['clientAddress'];
  /** Fastify's own logger (request lines included), written as JSON lines to this stream. */
  logStream?: { write(line: string): void };
  deploymentAccess?: RealtimeOptions['deploymentAccess'];
}

/** Tests name the client they pretend to be with this header (through the `clientAddress` seam). */
export const byTestHeader: NonNullable<RealtimeOptions['clientAddress']> = (req) => String(req.headers['x-test-client'] ?? req.socket.remoteAddress);

export async function startTestApp(overrides: Partial<RealtimeConfigInput> = {}, port = 0, options: TestAppOptions = {}): Promise<TestApp> {
  const config = realtimeConfig({ secret: TEST_SECRET, ...overrides });
  const app = Fastify({ logger: options.logStream ? { level: 'info', stream: options.logStream } : false });
  const realtime = await registerRealtime(app, { config, authenticate: bearerAuthenticate, clientAddress: options.clientAddress, deploymentAccess: options.deploymentAccess });
  await app.listen({ port, host: '127.0.0.1' });
  const addr = app.server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  return { app, realtime, config, port: actual, base: `http://127.0.0.1:${actual}`, close: () => app.close() };
}

/** pusher-js options (also under Echo) for a plain ws:// connection to a test server. */
function localSocket(port: number) {
  return { cluster: 'mt1', wsHost: '127.0.0.1', wsPort: port, forceTLS: false, enabledTransports: ['ws' as const], disableStats: true };
}

export function pusherClient(t: { port: number; config: Pick<RealtimeConfig, 'key'> }, token?: string, extra: Record<string, unknown> = {}): PusherJs {
  return new PusherJs(t.config.key, {
    ...localSocket(t.port),
    channelAuthorization: {
      endpoint: `http://127.0.0.1:${t.port}/broadcasting/auth`,
      transport: 'ajax',
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    },
    ...extra,
  });
}

/** The official `pusher` SDK, as an application publishes with it, pointed at a test server. */
export function appSdk(t: { port: number; config: Pick<RealtimeConfig, 'appId' | 'key'> }, extra: Partial<Pusher.Options> = {}): Pusher {
  return new Pusher({ appId: t.config.appId, key: t.config.key, secret: TEST_SECRET, host: '127.0.0.1', port: String(t.port), useTLS: false, timeout: 10_000, ...extra } as Pusher.Options);
}

/**
 * pusher-js whose channel authorizer and user authenticator are an application's, made with the
 * `pusher` SDK (`authorizeChannel`, `authenticateUser`), as a Laravel or Node app answers them.
 */
export function appAuthClient(
  t: { port: number; config: Pick<RealtimeConfig, 'appId' | 'key'> },
  user: { id: string; info?: Record<string, unknown> },
  extra: Record<string, unknown> = {},
  sdkOptions: Partial<Pusher.Options> = {},
): PusherJs {
  const sdk = appSdk(t, sdkOptions);
  return new PusherJs(t.config.key, {
    ...localSocket(t.port),
    channelAuthorization: {
      customHandler: ({ socketId, channelName }: { socketId: string; channelName: string }, cb: (err: Error | null, auth: unknown) => void) =>
        cb(null, channelName.startsWith('presence-') ? sdk.authorizeChannel(socketId, channelName, { user_id: user.id, user_info: user.info }) : sdk.authorizeChannel(socketId, channelName)),
    },
    userAuthentication: {
      customHandler: ({ socketId }: { socketId: string }, cb: (err: Error | null, auth: unknown) => void) => cb(null, sdk.authenticateUser(socketId, { id: user.id, user_info: user.info })),
    },
    ...extra,
  } as never);
}

export function echoClient(t: { port: number; config: Pick<RealtimeConfig, 'key'> }, token: string): Echo<'pusher'> {
  return new Echo({
    broadcaster: 'pusher',
    key: t.config.key,
    ...localSocket(t.port),
    authEndpoint: `http://127.0.0.1:${t.port}/broadcasting/auth`,
    auth: { headers: { Authorization: `Bearer ${token}` } },
    Pusher: PusherJs,
  } as never);
}

export function waitConnected(p: PusherJs, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    if (p.connection.state === 'connected') return resolve(p.connection.socket_id);
    const timer = setTimeout(() => reject(new Error(`pusher-js did not connect (state ${p.connection.state})`)), timeoutMs);
    p.connection.bind('connected', () => {
      clearTimeout(timer);
      resolve(p.connection.socket_id);
    });
  });
}

/** Resolves with the first call of `register`'s callback, or rejects after a generous timeout. */
export function nextCall<T = unknown>(register: (cb: (value: T) => void) => void, what: string, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
    register((v) => {
      clearTimeout(timer);
      resolve(v);
    });
  });
}

/** A raw protocol client: every message it receives, parsed, with `data` decoded when a string. */
export interface RawClient {
  ws: WebSocket;
  messages: { event: string; channel?: string; data: any }[];
  next(event: string, timeoutMs?: number): Promise<{ event: string; channel?: string; data: any }>;
  send(msg: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
  socketId: string;
}

export async function rawClient(port: number, key: string, path?: string, headers: Record<string, string> = {}): Promise<RawClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${path ?? `/app/${key}?protocol=7&client=js&version=8.4.0`}`, { headers });
  const messages: RawClient['messages'] = [];
  const waiters: { event: string; resolve: (m: RawClient['messages'][number]) => void }[] = [];
  let seen = 0;
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString());
    if (typeof m.data === 'string') {
      try {
        m.data = JSON.parse(m.data);
      } catch {
        /* plain string data */
      }
    }
    messages.push(m);
    const i = waiters.findIndex((w) => w.event === m.event);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
  });
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const next: RawClient['next'] = (event, timeoutMs = 10_000) => {
    const found = messages.slice(seen).find((m) => m.event === event);
    if (found) {
      seen = messages.indexOf(found) + 1;
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}; got ${messages.map((m) => m.event).join(', ')}`)), timeoutMs);
      waiters.push({
        event,
        resolve: (m) => {
          clearTimeout(timer);
          seen = messages.indexOf(m) + 1;
          resolve(m);
        },
      });
    });
  };
  const client: RawClient = { ws, messages, next, closed, socketId: '', send: (msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)) };
  const first = await Promise.race([next('pusher:connection_established'), next('pusher:error'), closed.then(() => null)]);
  if (first && first.event === 'pusher:connection_established') client.socketId = first.data.socket_id;
  // The race's other waiters must not swallow a later message the test waits for (nor time out noisily).
  waiters.length = 0;
  return client;
}

export function sampleChange(ownerId: number | null, sequence = 1, overrides: Partial<DeploymentChange['payload']> = {}): DeploymentChange {
  return {
    deploymentId: '123',
    ownerId,
    sequence,
    payload: {
      deployment_id: '123',
      module_slug: 'products',
      branch_name: 'module/products',
      status: 'success',
      message: "Module 'products' deployed successfully! 🎉",
      progress: 100,
      started_at: '2024-01-15T10:00:00Z',
      finished_at: '2024-01-15T10:05:00Z',
      logs: ['Building...', 'Deploying...', 'Done!'],
      sequence,
      targets: [],
      commit_sha: 'abc1234',
      url: 'https://products.example.test',
      ...overrides,
    },
  };
}

/** What came back on a raw TCP exchange: the status line's code (null if none), and everything read. */
export interface RawAnswer {
  status: number | null;
  text: string;
  /** True when the server closed the connection (false: still open when we stopped waiting). */
  closed: boolean;
}

/**
 * Writes bytes to a fresh TCP connection, exactly as given (no client library to tidy a malformed
 * request), and collects the answer until the server closes or `waitMs` passes.
 */
export function rawExchange(port: number, bytes: string | Buffer, waitMs = 3_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, text, closed });
    };
    const timer = setTimeout(() => done(false), waitMs);
    socket.on('data', (d) => chunks.push(d));
    socket.on('close', () => done(true));
    socket.on('error', () => done(true));
  });
}

/** A websocket upgrade request for `target` (a request target as written on the wire), with overridable headers. */
export function upgradeRequest(target: string, headers: Record<string, string> = {}): string {
  const all: Record<string, string> = {
    Host: '127.0.0.1',
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...headers,
  };
  return `GET ${target} HTTP/1.1\r\n${Object.entries(all)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
}
