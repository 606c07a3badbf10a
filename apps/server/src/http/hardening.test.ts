import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/config.ts';
import { call } from '../test-support/http.ts';
import { startTestServer, type TestServer } from '../test-support/server.ts';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('data folder permissions', () => {
  let server: TestServer;
  let dataDir: string;

  beforeAll(async () => {
    // An existing folder left world-readable by a careless umask is narrowed at start.
    dataDir = mkdtempSync(join(tmpdir(), 'slipway-perm-'));
    chmodSync(dataDir, 0o755);
    server = await startTestServer('sqlite', { SLIPWAY_DATA_DIR: dataDir });
    // A write, so the WAL exists.
    await call(server.url, 'POST', '/api/auth/login', { body: { email: 'nobody@example.com', password: 'wrong-password' } });
  });
  afterAll(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the data folder to the server user (0700)', () => {
    expect(mode(dataDir)).toBe(0o700);
  });

  it('keeps the database and its WAL to the server user (0600)', () => {
    expect(mode(join(dataDir, 'slipway.db'))).toBe(0o600);
    expect(mode(join(dataDir, 'slipway.db-wal'))).toBe(0o600);
  });
});

describe('forwarded headers', () => {
  let direct: TestServer;
  let proxied: TestServer;
  beforeAll(async () => {
    [direct, proxied] = await Promise.all([startTestServer('sqlite'), startTestServer('sqlite', { SLIPWAY_TRUST_PROXY: 'loopback' })]);
  });
  afterAll(async () => {
    await Promise.all([direct.close(), proxied.close()]);
  });

  const spoof = { 'x-forwarded-host': 'evil.example:443', 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' };

  it('are ignored by default: a client cannot choose the host the page connects its socket to', async () => {
    const r = await call(direct.url, 'GET', '/api/config', { headers: spoof });
    expect(r.status).toBe(200);
    expect(r.body.realtime?.host ?? r.body.host).toBe('127.0.0.1');
    expect(JSON.stringify(r.body)).not.toContain('evil.example');
  });

  it('are believed from a configured proxy (SLIPWAY_TRUST_PROXY)', async () => {
    const r = await call(proxied.url, 'GET', '/api/config', { headers: spoof });
    expect(JSON.stringify(r.body)).toContain('evil.example');
  });

  it('a bad SLIPWAY_TRUST_PROXY is named at start', () => {
    expect(() => loadConfig({ SLIPWAY_TRUST_PROXY: 'not-an-address' })).toThrow(ConfigError);
    expect(() => loadConfig({ SLIPWAY_TRUST_PROXY: 'not-an-address' })).toThrow(/SLIPWAY_TRUST_PROXY/);
  });
});

describe('security headers', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('sqlite');
  });
  afterAll(async () => server.close());

  it('the page may not be framed, and runs scripts from its own origin only', async () => {
    const r = await fetch(`${server.url}/`, { headers: { accept: 'text/html' } });
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
  });

  it('API answers carry them too', async () => {
    const r = await call(server.url, 'GET', '/api/auth/me');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
