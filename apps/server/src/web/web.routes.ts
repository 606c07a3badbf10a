import { existsSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

export interface WebRoutesOptions {
  /** The Angular build output: apps/web/dist/web/browser. */
  root: string;
}

/** Paths that belong to the server; never answered with the web app. */
const SERVER_PREFIXES = ['/api', '/apps', '/broadcasting', '/git', '/healthz', '/readyz', '/metrics'];

const isServerPath = (path: string) => SERVER_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));

/** Angular's output names carry a content hash (main-ABCD1234.js): cache them for good. */
const HASHED = /-[A-Z0-9]{8,}\.(?:js|css|mjs)$/;

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Slipway</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; padding: 0 1rem">
<h1>Slipway is running</h1>
<p>The web app has not been built yet. Run <code>npm run build</code> (it builds <code>apps/web</code>),
then reload this page. The API is available under <code>/api</code>.</p>
</body></html>`;

/**
 * Serves the built web app on `/` (same origin as the API, the realtime socket and channel auth),
 * with a single-page-app fallback: a GET that accepts HTML, outside the server's own prefixes, and
 * that names no file, gets index.html so the Angular router can take it. The build is looked up on
 * each request, so `npm run build` while the server runs needs no restart.
 */
export const webRoutes: FastifyPluginAsync<WebRoutesOptions> = async (app, { root }) => {
  const base = resolve(root);
  const indexFile = join(base, 'index.html');

  await app.register(fastifyStatic, { root: base, serve: false });

  const sendIndex = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').sendFile('index.html', base, { cacheControl: false });

  const fileFor = (urlPath: string): string | null => {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return null;
    }
    if (decoded.includes('\0')) return null;
    const full = resolve(base, `.${decoded}`);
    if (full !== base && !full.startsWith(base + sep)) return null;
    try {
      return statSync(full).isFile() ? full.slice(base.length + 1) : null;
    } catch {
      return null;
    }
  };

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0]!;
    if (isServerPath(path)) return reply.callNotFound();
    const wantsHtml = (req.headers.accept ?? '').includes('text/html');
    if (!existsSync(indexFile)) {
      if (path === '/' || wantsHtml) return reply.code(path === '/' ? 200 : 404).type('text/html; charset=utf-8').send(NOT_BUILT);
      return reply.callNotFound();
    }
    if (path === '/' || path === '/index.html') return sendIndex(reply);
    const file = fileFor(path);
    if (file) {
      return HASHED.test(file)
        ? reply.sendFile(file, base, { maxAge: '365d', immutable: true })
        : reply.sendFile(file, base, { maxAge: 0 });
    }
    if (wantsHtml) return sendIndex(reply);
    return reply.callNotFound();
  };

  app.get('/', handler);
  app.get('/*', handler);
};
