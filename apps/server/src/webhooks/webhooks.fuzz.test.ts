/**
 * Fuzz: the webhook intake over HTTP on both databases. Random bodies (bytes with NUL, huge,
 * non-JSON, JSON of the wrong shape, reports with odd strings) under random, missing, bad and
 * valid signatures of both schemes. Whatever arrives: no 5xx, the server stays up, input without a
 * valid signature creates no deployment or event, and what it leaves behind is a small, bounded
 * record. `npm run fuzz` raises the count (SLIPWAY_FUZZ_RUNS).
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzRuns } from '../test-support/fuzz.ts';
import { sign } from '../test-support/http.ts';
import { DIALECTS, startTestServer, TEST_SECRET, type TestServer } from '../test-support/server.ts';

const PATH = '/api/webhooks/dokploy/deployment';
const MAX_BODY = 4096;
/** The most a delivery without a valid signature may leave in the database (headers + error text). */
const MAX_UNSIGNED_RECORD_CHARS = 1600;

/** Strings that tend to break things: NUL, escapes, lone surrogates, long runs. */
const nasty = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: fc.constantFrom('\u0000', '\\', '"', 'u', '0', '\ud800', '\udfff', 'é', '🎉', '\n', '%', "'"), maxLength: 20 }),
  fc.constantFrom('', '\u0000', 'a\u0000b', '\\u0000', 'module/x\u0000', 'x'.repeat(300), 'module/products'),
);
const report = fc.record(
  {
    deploymentId: fc.oneof(nasty, fc.integer(), fc.constant(null)),
    applicationId: fc.oneof(fc.constantFrom('backend', 'frontend'), nasty),
    status: fc.oneof(fc.constantFrom('running', 'done', 'error', 'success', 'exploded'), nasty, fc.integer()),
    branch: fc.oneof(fc.constantFrom('module/fuzz', 'main'), nasty),
    commit: fc.oneof(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), maxLength: 40 }), nasty),
    message: nasty,
    moduleName: nasty,
    isModuleBranch: fc.oneof(fc.boolean(), nasty),
    timestamp: fc.oneof(fc.constant(new Date().toISOString()), fc.constantFrom('2020-01-01T00:00:00Z', 'yesterday'), nasty),
    stage: fc.oneof(fc.constantFrom('build', 'deploy', 'health'), nasty),
    logs: fc.oneof(fc.array(nasty, { maxLength: 5 }), nasty),
    url: fc.oneof(fc.webUrl(), nasty),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  report.map((r) => Buffer.from(JSON.stringify(r))),
  fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
  nasty.map((s) => Buffer.from(s)),
  fc.constantFrom(Buffer.from('{"status":"done","message":"a\u0000b"}'), Buffer.from('{"status":'), Buffer.alloc(0), Buffer.from([0, 0, 0])),
  fc.integer({ min: MAX_BODY + 1, max: 6 * MAX_BODY }).map((n) => Buffer.alloc(n, 0x61)),
);

type Signing = 'none' | 'wrong-secret' | 'garbage' | 'empty-key' | 'standard-wrong' | 'standard-partial' | 'valid' | 'standard-valid' | 'standard-stale';
const signing = fc.constantFrom<Signing>('none', 'wrong-secret', 'garbage', 'empty-key', 'standard-wrong', 'standard-partial', 'valid', 'standard-valid', 'standard-stale');
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 });
const extraHeaders = fc.record(
  {
    'content-type': fc.oneof(fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1'), printable),
    'user-agent': fc.oneof(printable, fc.integer({ min: 100, max: 5000 }).map((n) => 'u'.repeat(n))),
    'x-webhook-signature': printable,
    'webhook-id': printable,
    'webhook-timestamp': fc.oneof(printable, fc.integer().map(String)),
    'webhook-signature': printable,
    'x-forwarded-for': printable,
  },
  { requiredKeys: [] },
);
const delivery = fc.record({ body, signing, extra: extraHeaders });

function headersFor(raw: Buffer, how: Signing, extra: Record<string, string>): Record<string, string> {
  const ts = Math.floor(Date.now() / 1000);
  const standard = (key: Buffer | string, at = ts, id = 'msg_fuzz') => ({
    'webhook-id': id,
    'webhook-timestamp': String(at),
    'webhook-signature': `v1,${createHmac('sha256', key).update(Buffer.concat([Buffer.from(`${id}.${at}.`), raw])).digest('base64')}`,
  });
  switch (how) {
    case 'none':
      return extra;
    case 'garbage':
      return { ...extra, 'x-webhook-signature': extra['x-webhook-signature'] ?? 'sha256=zz' };
    case 'wrong-secret':
      return { ...extra, 'x-webhook-signature': sign(raw.toString('latin1'), 'not-the-secret-0123456789') };
    case 'empty-key':
      return { ...extra, 'x-webhook-signature': `sha256=${createHmac('sha256', '').update(raw).digest('hex')}` };
    case 'standard-wrong': {
      const { 'x-webhook-signature': _spec, ...rest } = extra;
      return { ...rest, ...standard('not-the-secret-0123456789') };
    }
    case 'standard-partial':
      return { 'webhook-id': extra['webhook-id'] ?? 'x' };
    case 'standard-stale':
      return { ...standard(TEST_SECRET, ts - 3600) };
    case 'standard-valid':
      return { 'content-type': 'application/json', ...standard(TEST_SECRET, ts, `msg_${Math.random()}`) };
    case 'valid':
      return { 'content-type': extra['content-type'] ?? 'application/json', 'x-webhook-signature': `sha256=${createHmac('sha256', TEST_SECRET).update(raw).digest('hex')}` };
  }
}

/** A signature the server must take as valid (whatever the body then turns out to be). */
const SIGNED: Signing[] = ['valid', 'standard-valid', 'standard-stale'];

describe.each(DIALECTS)('fuzz: webhook intake on %s', (dialect) => {
  let s: TestServer;
  const count = async (table: 'deployments' | 'deployment_events') =>
    Number((await s.ctx.database.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    // Every case comes from 127.0.0.1: the reject limit is off so that each one reaches the intake
    // (reject-limit.test.ts covers the limit).
    s = await startTestServer(dialect, { WEBHOOK_MAX_BODY_BYTES: String(MAX_BODY), WEBHOOK_REJECT_LIMIT_PER_MINUTE: '0' });
  });
  afterAll(() => s?.close());

  it('answers every delivery below 500; unsigned input changes no deployment and leaves a small record', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(delivery, async ({ body: raw, signing: how, extra }) => {
        const headers = headersFor(raw, how, extra);
        const before = SIGNED.includes(how) ? undefined : [await count('deployments'), await count('deployment_events')];
        const res = await fetch(s.url + PATH, { method: 'POST', headers, body: raw, signal: AbortSignal.timeout(10_000) });
        const answer = (await res.text()).slice(0, 300);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, `${res.status} ${answer} for ${how} ${raw.subarray(0, 200).toString('latin1')}`).toBeLessThan(500);
        expect(() => JSON.parse(answer.length < 300 ? answer : '{}'), answer).not.toThrow();
        if (before) {
          expect(res.status, `unsigned (${how}) answered ${res.status}`).toBeGreaterThanOrEqual(400);
          expect([await count('deployments'), await count('deployment_events')]).toEqual(before);
        }
      }),
      { numRuns: fuzzRuns(150) },
    );
    // The cases reached several outcomes (a generator that only made 401s would prove little).
    expect([...statuses.keys()].filter((k) => k !== 401).length).toBeGreaterThanOrEqual(3);

    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    const unsigned = await s.ctx.database.db.selectFrom('webhook_deliveries').selectAll().where('signature_valid', '=', 0).execute();
    expect(unsigned.length).toBeGreaterThan(0);
    for (const row of unsigned) {
      expect(row.body).toBeNull();
      expect(row.headers.length + (row.error ?? '').length).toBeLessThanOrEqual(MAX_UNSIGNED_RECORD_CHARS);
    }
  }, 120_000);
});
