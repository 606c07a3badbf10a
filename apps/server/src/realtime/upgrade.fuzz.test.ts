/**
 * Fuzz: websocket upgrade requests (request targets, headers, and bytes after them) written over
 * raw TCP to a real Slipway server. Whatever arrives: no 5xx, the process stays up, and nothing is
 * published. `npm run fuzz` raises the count (SLIPWAY_FUZZ_RUNS).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzRuns } from '../test-support/fuzz.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { DEFAULT_APP_KEY } from './config.ts';
import { nextCall, pusherClient, rawExchange, waitConnected, type PusherJs } from './testing.ts';

const KEY = DEFAULT_APP_KEY;

const escape = fc.oneof(
  fc.constantFrom('%E0%A4%A', '%ZZ', '%', '%0', '%00', '%FF', '%C0%AF', '%25', '%2F', '%3F', '%E0%A4%A4'),
  fc.integer({ min: 0, max: 255 }).map((b) => `%${b.toString(16).padStart(2, '0')}`),
);
const segment = fc.array(fc.oneof(escape, fc.string({ maxLength: 8 }).map((s) => s.replace(/[\s]/g, ''))), { maxLength: 6 }).map((p) => p.join(''));
const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?protocol=7', '?protocol=5', '?protocol=8', '?protocol=', '?protocol=x', '?protocol=7&protocol=8', '?protocol=%ZZ', '?%E0%A4%A=7', '?protocol=7&client=js&version=8.4.0'),
  segment.map((s) => `?${s}`),
);
const host = fc.oneof(fc.constantFrom('127.0.0.1', '[bad', '[::1]', 'a b', '', 'x:99999', '%ZZ', 'localhost:0'), fc.domain());
const target = fc.oneof(
  fc.tuple(fc.oneof(fc.constant(KEY), segment), query).map(([k, q]) => `/app/${k}${q}`),
  fc.tuple(fc.constantFrom('http', 'https', 'ws', 'HTTP', 'ftp', ''), host, fc.oneof(fc.constant(KEY), segment), query).map(([s, h, k, q]) => `${s}://${h}/app/${k}${q}`),
  fc.tuple(segment, query).map(([p, q]) => `/${p}${q}`),
  fc.constantFrom('*', '/', '//app/x', '/app//x', `/app/${KEY}/../${KEY}?protocol=7`, '/app/', `/app/${KEY}/extra`),
  fc.string({ maxLength: 60 }).map((s) => s.replace(/[\r\n ]/g, '')),
);

/** Header values: plausible, odd, huge, and now and then bytes no header should hold. */
const value = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n\u0000-\u001f\u007f]/g, '')), weight: 4 },
  {
    arbitrary: fc.constantFrom('', ' ', 'dGhlIHNhbXBsZSBub25jZQ==', '13', '8', '-1', '99999999999999999999', 'chat, superchat', 'permessage-deflate; client_max_window_bits=99', 'permessage-deflate; server_no_context_takeover=x', 'é', '\u00ff'),
    weight: 3,
  },
  { arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'x'.repeat(n)), weight: 1 },
  { arbitrary: fc.constantFrom('a\rb', 'a\nb', 'a\u0000b', '\t'), weight: 1 },
);
const headerName = fc.oneof(
  fc.constantFrom('Sec-WebSocket-Key', 'Sec-WebSocket-Version', 'Sec-WebSocket-Protocol', 'Sec-WebSocket-Extensions', 'Origin', 'Host', 'Connection', 'Upgrade', 'Content-Length', 'Transfer-Encoding', 'X-Forwarded-For', 'Cookie'),
  // Mostly tokens, as header names must be; now and then not.
  fc.oneof(
    { arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map((s) => `X-${s.replace(/[^!#$%&'*+\-.^_`|~0-9A-Za-z]/g, '')}`), weight: 4 },
    { arbitrary: fc.string({ minLength: 1, maxLength: 20 }).map((s) => s.replace(/[\s:]/g, '') || 'X'), weight: 1 },
  ),
);

/** Mostly the valid value, sometimes anything: so most cases get deep into the handshake with one or two odd parts. */
const mostly = <T,>(valid: T, odd: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(valid), weight: 4 }, { arbitrary: odd, weight: 1 });

const request = fc.record({
  method: mostly('GET', fc.constantFrom('POST', 'HEAD', 'OPTIONS', 'CONNECT', 'get', 'G ET')),
  target: fc.oneof({ arbitrary: fc.tuple(fc.constant(KEY), query).map(([k, q]) => `/app/${k}${q}`), weight: 1 }, { arbitrary: target, weight: 1 }),
  version: mostly('HTTP/1.1', fc.constantFrom('HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', '')),
  upgrade: mostly('websocket', fc.constantFrom('WebSocket', 'h2c', '', 'websocket, foo')),
  key: mostly('dGhlIHNhbXBsZSBub25jZQ==', fc.oneof(fc.base64String({ maxLength: 40 }), value)),
  wsVersion: mostly('13', value),
  extra: fc.array(fc.tuple(headerName, value), { maxLength: 3 }),
  after: fc.oneof(fc.constant(new Uint8Array()), fc.uint8Array({ maxLength: 64 })),
});

type UpgradeCase = typeof request extends fc.Arbitrary<infer T> ? T : never;

function encode(r: UpgradeCase): Buffer {
  const lines = [`${r.method} ${r.target} ${r.version}`, 'Host: 127.0.0.1', 'Connection: Upgrade', `Upgrade: ${r.upgrade}`, `Sec-WebSocket-Key: ${r.key}`, `Sec-WebSocket-Version: ${r.wsVersion}`];
  for (const [k, v] of r.extra) lines.push(`${k}: ${v}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.from(r.after)]);
}

describe('fuzz: websocket upgrade requests', () => {
  let server: TestServer;
  let port: number;
  let watcher: PusherJs;
  const seen: string[] = [];

  beforeAll(async () => {
    // Every case comes from 127.0.0.1: the per-address rate is raised so cases reach the handshake.
    server = await startTestServer('sqlite', { REALTIME_CONNECTION_BURST_PER_IP: '100000', REALTIME_CONNECTION_RATE_PER_IP: '100000' });
    port = Number(new URL(server.url).port);
    watcher = pusherClient({ port, config: { key: KEY } });
    const ch = watcher.subscribe('news');
    await nextCall((cb) => ch.bind('pusher:subscription_succeeded', cb), 'watcher subscribed');
    ch.bind_global((name: string) => void (name.startsWith('pusher') || seen.push(name)));
  });
  afterAll(async () => {
    watcher?.disconnect();
    await server?.close();
  });

  it('answers every upgrade request with no 5xx, and the server stays up', async () => {
    const statuses = new Map<number | null, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const answer = await rawExchange(port, encode(r), 2_000);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        expect(answer.status === null || answer.status < 500, `status ${answer.status} for ${JSON.stringify(r).slice(0, 300)}`).toBe(true);
      }),
      { numRuns: fuzzRuns(150) },
    );
    // The cases reached more than one outcome (a generator that only made 400s would prove little).
    expect(statuses.size).toBeGreaterThan(2);
    if (process.env.SLIPWAY_FUZZ_RUNS) console.log('upgrade fuzz statuses', Object.fromEntries(statuses));

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const fresh = pusherClient({ port, config: { key: KEY } });
    try {
      await waitConnected(fresh);
    } finally {
      fresh.disconnect();
    }
    expect(watcher.connection.state).toBe('connected');
    expect(seen).toEqual([]);
  }, 120_000);
});
