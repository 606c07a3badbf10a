/**
 * Fuzz: the Pusher HTTP API (`/apps/{id}/...`) of a real Slipway server, with random bodies,
 * content types, query strings and signatures — none of them valid for what is sent. Whatever
 * arrives: no 5xx, no publish accepted (no 2xx on POST), no event reaches a pusher-js subscriber,
 * and the server stays up. `npm run fuzz` raises the count (SLIPWAY_FUZZ_RUNS).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzRuns } from '../test-support/fuzz.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { DEFAULT_APP_ID, DEFAULT_APP_KEY } from './config.ts';
import { bodyMd5, signRequest } from './signatures.ts';
import { nextCall, pusherClient, rawExchange, waitConnected, type PusherJs } from './testing.ts';

const SECRET = 'fuzz-secret-0123456789';
const APP = { id: DEFAULT_APP_ID, key: DEFAULT_APP_KEY, secret: SECRET };
const WATCHED = ['news', 'alerts'];

const mostly = <T,>(valid: T, odd: fc.Arbitrary<T>) => fc.oneof({ arbitrary: fc.constant(valid), weight: 3 }, { arbitrary: odd, weight: 1 });
const text = fc.string({ maxLength: 30 });

/** Events as a publisher would send them, now and then with odd fields. */
const event = fc.record(
  {
    name: mostly('evil', fc.oneof(text, fc.integer(), fc.constant(null))),
    channel: mostly('news', fc.oneof(fc.constantFrom(...WATCHED, 'bad name', ''), text)),
    data: mostly('{"pwned":true}', fc.oneof(text, fc.jsonValue({ maxDepth: 2 }))),
    channels: fc.oneof(fc.constant(WATCHED), fc.array(fc.oneof(fc.constantFrom(...WATCHED), text), { maxLength: 5 })),
    socket_id: fc.oneof(fc.constant('1.2'), text),
    info: fc.constantFrom('subscription_count', 'user_count', ''),
  },
  { requiredKeys: ['name', 'channel', 'data'] },
);

/**
 * What an attacker does to a request they saw signed (or never had): at least one of these, each
 * of which leaves it without a valid signature for what is sent.
 */
const breaking = fc.constantFrom(
  'body-as-form', // the replay: the same fields, form-encoded
  'body-other-event',
  'body-random',
  'body-truncated',
  'signature-random',
  'signature-wrong-secret',
  'signature-missing',
  'timestamp-old',
  'timestamp-garbage',
  'key-wrong',
  'md5-missing',
  'md5-garbage',
  'param-added',
  'param-repeated',
  'path-changed',
);
type Breaking = typeof breaking extends fc.Arbitrary<infer T> ? T : never;

const request = fc.record({
  method: mostly('POST', fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH')),
  appId: mostly(DEFAULT_APP_ID, fc.constantFrom('other', '%ZZ', '', '..')),
  path: fc.oneof(
    { arbitrary: fc.constantFrom('/events', '/batch_events'), weight: 6 },
    { arbitrary: fc.constantFrom('/channels', '/channels/news', '/channels/%ZZ', '/channels/%E0%A4%A', '/channels/presence-x', '/events/', '/nope'), weight: 1 },
    { arbitrary: text.map((s) => `/channels/${encodeURIComponent(s)}`), weight: 1 },
  ),
  events: fc.array(event, { minLength: 1, maxLength: 12 }),
  other: event,
  randomBody: fc.oneof(fc.string({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1'))),
  mutations: fc.uniqueArray(breaking, { minLength: 1, maxLength: 3 }),
  contentType: fc.oneof(
    { arbitrary: fc.constant('as-body'), weight: 5 },
    {
      arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/octet-stream', 'APPLICATION/JSON', 'application/jsonx', ''),
      weight: 2,
    },
    { arbitrary: text.map((s) => s.replace(/[\r\n\u0000-\u001f]/g, '')), weight: 1 },
  ),
  junk: text,
  chunked: fc.boolean(),
});
type ApiCase = typeof request extends fc.Arbitrary<infer T> ? T : never;

const formOf = (e: Record<string, unknown>) =>
  new URLSearchParams(Object.entries(e).map(([k, v]) => [k, typeof v === 'string' ? v : (JSON.stringify(v) ?? '')])).toString();

/** Signs the request a publisher meant to send, then applies the attacker's changes. */
function encode(r: ApiCase, nowS: number): { bytes: Buffer; isPost: boolean } {
  const has = (m: Breaking) => r.mutations.includes(m);
  const signedPath = `/apps/${r.appId}${r.path}`;
  const sentPath = has('path-changed') ? `/apps/${r.appId}${r.path === '/events' ? '/batch_events' : '/events'}` : signedPath;
  const first = r.events[0]!;
  const original = r.path === '/batch_events' ? JSON.stringify({ batch: r.events }) : JSON.stringify(first);
  const q: Record<string, string> = { auth_key: APP.key, auth_timestamp: String(nowS), auth_version: '1.0' };
  if (r.method === 'POST') q.body_md5 = bodyMd5(original);
  q.auth_signature = signRequest(APP, r.method, signedPath, q);

  let body = r.method === 'POST' ? original : '';
  let kind: 'json' | 'form' | 'other' = 'json';
  if (has('body-as-form')) [body, kind] = [formOf(first), 'form'];
  if (has('body-other-event')) body = JSON.stringify({ ...r.other, data: `${JSON.stringify(r.other.data)}!` });
  if (has('body-random')) [body, kind] = [`${r.randomBody}~`, 'other'];
  if (has('body-truncated')) body = body.slice(0, Math.floor(body.length / 2));
  if (body === original && r.method === 'POST' && r.mutations.every((m) => m.startsWith('body-'))) body = `${body} `;
  if (has('signature-random')) q.auth_signature = 'a'.repeat(64);
  if (has('signature-wrong-secret')) q.auth_signature = signRequest({ ...APP, secret: 'not-the-secret-0000' }, r.method, signedPath, q);
  if (has('signature-missing')) delete q.auth_signature;
  if (has('timestamp-old')) q.auth_timestamp = String(nowS - 700);
  if (has('timestamp-garbage')) q.auth_timestamp = r.junk || 'x';
  if (has('key-wrong')) q.auth_key = `${r.junk}k`;
  if (has('md5-missing')) delete q.body_md5;
  if (has('md5-garbage')) q.body_md5 = 'zz';
  const pairs = Object.entries(q);
  if (has('param-added')) pairs.push(['extra', r.junk]);
  if (has('param-repeated')) pairs.push(['auth_timestamp', String(nowS)]);
  const query = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');

  const type = r.contentType !== 'as-body' ? r.contentType : kind === 'form' ? 'application/x-www-form-urlencoded' : kind === 'json' ? 'application/json' : 'text/plain';
  const payload = Buffer.from(body, 'latin1');
  const head = [`${r.method} ${sentPath}?${query} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  if (type) head.push(`Content-Type: ${type}`);
  head.push(r.chunked ? 'Transfer-Encoding: chunked' : `Content-Length: ${payload.length}`);
  const framed = r.chunked ? Buffer.concat([Buffer.from(`${payload.length.toString(16)}\r\n`), payload, Buffer.from('\r\n0\r\n\r\n')]) : payload;
  return { bytes: Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), framed]), isPost: r.method === 'POST' };
}

describe('fuzz: Pusher HTTP API', () => {
  let server: TestServer;
  let port: number;
  let watcher: PusherJs;
  const seen: string[] = [];
  let marker: Promise<unknown>;

  beforeAll(async () => {
    server = await startTestServer('sqlite', { PUSHER_APP_SECRET: SECRET });
    port = Number(new URL(server.url).port);
    watcher = pusherClient({ port, config: { key: DEFAULT_APP_KEY } });
    for (const name of WATCHED) {
      const ch = watcher.subscribe(name);
      await nextCall((cb) => ch.bind('pusher:subscription_succeeded', cb), `watcher on ${name}`);
      ch.bind_global((e: string) => void (e.startsWith('pusher') || e === 'marker' || seen.push(`${name}:${e}`)));
    }
    marker = nextCall((cb) => watcher.channel('news')!.bind('marker', cb), 'marker', 60_000);
  });
  afterAll(async () => {
    watcher?.disconnect();
    await server?.close();
  });

  it('answers no 5xx, accepts no publish, and delivers nothing from unsigned input', async () => {
    const statuses = new Map<number | null, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const { bytes, isPost } = encode(r, Math.floor(Date.now() / 1000));
        const answer = await rawExchange(port, bytes, 3_000);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const what = `${answer.status} for ${bytes.toString('latin1').slice(0, 400)}`;
        expect(answer.status, what).not.toBeNull();
        expect(answer.status! < 500, what).toBe(true);
        if (isPost) expect(answer.status! >= 400, what).toBe(true);
      }),
      { numRuns: fuzzRuns(200) },
    );
    if (process.env.SLIPWAY_FUZZ_RUNS) console.log('http api fuzz statuses', Object.fromEntries(statuses));
    expect(statuses.size).toBeGreaterThan(2);

    // A correctly signed publish after the storm arrives; nothing before it did.
    const body = JSON.stringify({ name: 'marker', channel: 'news', data: '{}' });
    const q: Record<string, string> = { auth_key: APP.key, auth_timestamp: String(Math.floor(Date.now() / 1000)), auth_version: '1.0', body_md5: bodyMd5(body) };
    q.auth_signature = signRequest(APP, 'POST', `/apps/${APP.id}/events`, q);
    const ok = await fetch(`${server.url}/apps/${APP.id}/events?${new URLSearchParams(q)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(ok.status).toBe(200);
    await marker;
    expect(seen).toEqual([]);

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const fresh = pusherClient({ port, config: { key: DEFAULT_APP_KEY } });
    try {
      await waitConnected(fresh);
    } finally {
      fresh.disconnect();
    }
  }, 120_000);
});
