import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { webRoutes } from './web.routes.ts';

const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('webRoutes', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'slipway-web-'));
    app = Fastify();
    app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url}` }));
    app.get('/api/ping', async () => ({ ok: true }));
    await app.register(webRoutes, { root: dir });
  });
  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const build = () => {
    writeFileSync(join(dir, 'index.html'), '<!doctype html><app-root></app-root>');
    writeFileSync(join(dir, 'main-ABCDEFGH.js'), 'console.log(1)');
    writeFileSync(join(dir, 'favicon.ico'), 'ico');
    mkdirSync(join(dir, 'media'));
    writeFileSync(join(dir, 'media', 'font.woff2'), 'font');
  };

  it('says to run npm run build when the app is not built', async () => {
    const r = await app.inject({ url: '/', headers: html });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('npm run build');
    expect((await app.inject({ url: '/main.js' })).statusCode).toBe(404);
  });

  it('serves index.html on / and on app routes that accept HTML, without caching it', async () => {
    build();
    for (const url of ['/', '/modules', '/deployments?deployment=3', '/modules/products/edit']) {
      const r = await app.inject({ url, headers: html });
      expect(r.statusCode, url).toBe(200);
      expect(r.body).toContain('<app-root>');
      expect(r.headers['cache-control']).toBe('no-cache');
    }
  });

  it('serves files, hashed ones as immutable', async () => {
    build();
    const js = await app.inject({ url: '/main-ABCDEFGH.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('javascript');
    expect(js.headers['cache-control']).toContain('immutable');
    expect((await app.inject({ url: '/media/font.woff2' })).body).toBe('font');
    expect((await app.inject({ url: '/favicon.ico' })).statusCode).toBe(200);
  });

  it('leaves the server paths alone, and answers missing non-HTML files with the JSON 404', async () => {
    build();
    expect((await app.inject({ url: '/api/ping', headers: html })).json()).toEqual({ ok: true });
    for (const url of ['/api/nope', '/apps/x/channels', '/broadcasting/x', '/git/backend.git/info/refs', '/healthz/x']) {
      const r = await app.inject({ url, headers: html });
      expect(r.statusCode, url).toBe(404);
      expect(r.json().error).toBe('not_found');
    }
    expect((await app.inject({ url: '/chunk-missing.js' })).statusCode).toBe(404);
  });

  it('never serves a file outside the root', async () => {
    build();
    writeFileSync(join(dir, '..', 'secret-slipway-web.txt'), 'secret');
    try {
      for (const url of ['/../secret-slipway-web.txt', '/%2e%2e/secret-slipway-web.txt', '/media/..%2f..%2fsecret-slipway-web.txt']) {
        const r = await app.inject({ url });
        expect(r.body, url).not.toBe('secret');
      }
    } finally {
      rmSync(join(dir, '..', 'secret-slipway-web.txt'), { force: true });
    }
  });
});
