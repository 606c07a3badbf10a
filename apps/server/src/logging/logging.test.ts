import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sendWebhook } from '../test-support/http.ts';
import { captureLog } from '../test-support/log-capture.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';
import { createLogger } from './logger.ts';
import { requestLine } from './request-log.ts';

describe('createLogger', () => {
  it('writes JSON lines for collectors and pipes', () => {
    const { stream, lines } = captureLog();
    createLogger('info', { pretty: false, destination: stream }).info({ app: 'backend' }, 'hello');
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 30, msg: 'hello', app: 'backend' });
  });

  it('writes readable lines on a terminal: time, level and message, no pid, hostname or request id', () => {
    const { stream, lines } = captureLog();
    const log = createLogger('info', { pretty: true, destination: stream });
    log.child({ reqId: 'req-1' }).info({ http: { method: 'GET', path: '/x', status: 200, ms: 1 } }, 'GET /x 200 1 ms');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: GET \/x 200 1 ms$/);
  });

  it('keeps an error readable with its stack, and leaves out cookies and authorization', () => {
    const { stream, lines } = captureLog();
    const log = createLogger('info', { pretty: true, destination: stream });
    log.error({ err: new Error('boom'), headers: { cookie: 'slipway_session=s', authorization: 'Bearer t', host: 'h' } }, 'request failed');
    const text = lines.join('\n');
    expect(text).toMatch(/ERROR: request failed/);
    expect(text).toMatch(/Error: boom\n\s+at /);
    expect(text).not.toMatch(/slipway_session|Bearer/);
  });
});

describe('requestLine', () => {
  it('names method, path without its query string, status and time', () => {
    expect(requestLine('GET', '/api/admin/deployments?page=2&token=secret', 200, 3.14159)).toEqual({
      msg: 'GET /api/admin/deployments 200 3.1 ms',
      http: { method: 'GET', path: '/api/admin/deployments', status: 200, ms: 3.1 },
    });
  });
});

describe('request log of a running server', () => {
  const out = captureLog();
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer('sqlite', { LOG_LEVEL: 'info' }, { log: { pretty: false, destination: out.stream } });
  });
  afterAll(async () => {
    await server?.close();
  });

  const entries = () => out.lines.map((l) => JSON.parse(l) as Record<string, any>);

  it('logs each request once, with method, path, status and time, and no query string', async () => {
    const before = out.lines.length;
    expect((await call(server.url, 'GET', '/healthz')).status).toBe(200);
    expect((await call(server.url, 'GET', '/api/admin/deployments?token=query-secret')).status).toBe(401);
    const lines = entries().slice(before);
    expect(lines.map((l) => l.msg)).toEqual([expect.stringMatching(/^GET \/healthz 200 [\d.]+ ms$/), expect.stringMatching(/^GET \/api\/admin\/deployments 401 [\d.]+ ms$/)]);
    expect(lines[1]).toMatchObject({ level: 30, reqId: expect.any(String), http: { method: 'GET', path: '/api/admin/deployments', status: 401 } });
    expect(out.lines.join('\n')).not.toMatch(/incoming request|request completed|query-secret/);
  });

  it("leaves webhook deliveries to the intake's own line (no request line on top)", async () => {
    const before = out.lines.length;
    const r = await sendWebhook(server.url, { deploymentId: 'log-1', status: 'running', branch: 'module/logs' }, server.secret);
    expect(r.status).toBe(200);
    const lines = entries().slice(before);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.http || /^POST \/api\/webhooks\//.test(String(l.msg)))).toEqual([]);
  });
});
