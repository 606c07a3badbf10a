import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, startTestServer, TEST_SECRET, type TestServer } from '../test-support/server.ts';
import { sign } from '../test-support/http.ts';

const PATH = '/api/webhooks/dokploy/deployment';
const LIMIT = 5;

/** A POST from a chosen local address (127.0.0.0/8 all reach the loopback), so two clients can be told apart. */
function post(url: string, body: string, headers: Record<string, string>, from = '127.0.0.1') {
  return new Promise<{ status: number; body: any; headers: Record<string, unknown> }>((resolve, reject) => {
    const req = request(`${url}${PATH}`, { method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.each(DIALECTS)('deliveries without a valid signature are limited per client address on %s', (dialect) => {
  let s: TestServer;
  const rows = async () => Number((await s.ctx.database.db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  const unsigned = (from?: string) => post(s.url, '{"status":"done","branch":"module/x"}', { 'x-webhook-signature': `sha256=${'f'.repeat(64)}` }, from);
  const signed = (i: number, from?: string) => {
    const body = JSON.stringify({ deploymentId: `rl-${i}`, applicationId: 'backend', status: 'running', branch: `module/rl-${i}` });
    return post(s.url, body, { 'x-webhook-signature': sign(body, TEST_SECRET) }, from);
  };

  beforeAll(async () => {
    s = await startTestServer(dialect, { WEBHOOK_REJECT_LIMIT_PER_MINUTE: String(LIMIT), WEBHOOK_MAX_BODY_BYTES: '2048' });
  });
  afterAll(() => s?.close());

  it('never counts signed deliveries; past the limit answers 429 with a JSON error and stores nothing', async () => {
    // Many more valid deliveries than the limit, from the address about to be limited: all accepted.
    const valid = await Promise.all(Array.from({ length: 4 * LIMIT }, (_, i) => signed(i)));
    expect(valid.map((r) => r.status)).toEqual(Array(4 * LIMIT).fill(200));

    const tooLarge = await post(s.url, 'x'.repeat(4096), {});
    expect(tooLarge.status).toBe(413);
    for (let i = 1; i < LIMIT; i++) expect((await unsigned()).status).toBe(401);
    const before = await rows();
    const limited = await unsigned();
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ error: 'rate_limited', message: expect.stringMatching(/without a valid signature.*retry in \d+ s/) });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(await rows()).toBe(before);

    // Another address is not affected.
    expect((await unsigned('127.0.0.2')).status).toBe(401);
    expect((await signed(100, '127.0.0.2')).status).toBe(200);
  });
});
