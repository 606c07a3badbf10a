/**
 * The preview proxy against a real HTTP service that echoes what it receives: Slipway's
 * credentials never reach it, its cookies never reach Slipway's origin, its redirects stay under
 * the preview's prefix, bodies stream through, and a service that is down answers 502.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREVIEW_CSP, previewProxyRoutes } from './preview-proxy.routes.ts';

describe('preview proxy', () => {
  let echo: Server;
  let port = 0;
  let app: FastifyInstance;
  let base = '';

  beforeAll(async () => {
    echo = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url === '/go') return res.writeHead(302, { location: '/landing' }).end();
        if (req.url === '/abs') return res.writeHead(302, { location: `http://127.0.0.1:${port}/x?y=1` }).end();
        res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'slipway_session=stolen; Path=/' });
        res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
      });
    });
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    port = (echo.address() as AddressInfo).port;
    app = Fastify();
    await app.register(previewProxyRoutes, {
      previews: { target: async (slug: string, appId: string) => (slug === 'shop' && appId === 'api' ? { host: '127.0.0.1', port } : slug === 'down' ? { host: '127.0.0.1', port: 1 } : undefined) },
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app?.close();
    echo?.close();
  });

  it('forwards without the prefix and without Slipway credentials; drops Set-Cookie; sandboxes the answer', async () => {
    const res = await fetch(`${base}/preview/shop/api/items/3?q=a%20b`, {
      method: 'POST',
      headers: { cookie: 'slipway_session=s3cret; XSRF-TOKEN=t0k', authorization: 'Bearer slw_secret', 'x-xsrf-token': 't0k', 'content-type': 'application/json', 'x-other': 'kept' },
      body: JSON.stringify({ title: 'Lamp' }),
    });
    expect(res.status).toBe(200);
    const seen = await res.json();
    expect(seen).toMatchObject({ method: 'POST', url: '/items/3?q=a%20b', body: '{"title":"Lamp"}' });
    expect(seen.headers.cookie).toBeUndefined();
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers['x-xsrf-token']).toBeUndefined();
    expect(seen.headers['x-other']).toBe('kept');
    expect(seen.headers['x-forwarded-prefix']).toBe('/preview/shop/api');
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(res.headers.get('content-security-policy')).toBe(PREVIEW_CSP);
  });

  it('keeps redirects under the prefix', async () => {
    const rel = await fetch(`${base}/preview/shop/api/go`, { redirect: 'manual' });
    expect([rel.status, rel.headers.get('location')]).toEqual([302, '/preview/shop/api/landing']);
    const abs = await fetch(`${base}/preview/shop/api/abs`, { redirect: 'manual' });
    expect(abs.headers.get('location')).toBe('/preview/shop/api/x?y=1');
  });

  it('404 without a preview, 502 when the service does not answer', async () => {
    expect((await fetch(`${base}/preview/other/api/`)).status).toBe(404);
    const down = await fetch(`${base}/preview/down/api/`);
    expect(down.status).toBe(502);
    expect((await down.json()).error).toBe('bad_gateway');
  });
});
