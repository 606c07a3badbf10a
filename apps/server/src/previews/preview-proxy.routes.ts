import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import replyFrom from '@fastify/reply-from';
import type { PreviewsService } from './previews.service.ts';

/**
 * What a preview's answer may do on Slipway's origin: nothing. `sandbox` gives its documents an
 * opaque origin, so their scripts cannot read Slipway's cookies or call its API as the person who
 * opened them (docs/security.md, "Previews").
 */
export const PREVIEW_CSP = 'sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads';

/** Request headers never forwarded to a preview: Slipway's own credentials and CSRF token. */
const STRIPPED = ['cookie', 'authorization', 'x-xsrf-token', 'x-csrf-token', 'proxy-authorization'];

export interface PreviewProxyOptions {
  previews: Pick<PreviewsService, 'target'>;
}

/**
 * `/preview/<slug>/<app>/…` → the module's service on its loopback port (the local runner's), the
 * prefix removed. Public, like a Dokploy preview domain: no Slipway credential is needed, and none
 * is passed on; answers cannot set cookies on Slipway's origin, and run sandboxed.
 */
export const previewProxyRoutes: FastifyPluginAsync<PreviewProxyOptions> = async (app, { previews }) => {
  await app.register(replyFrom, { undici: { connections: 32, pipelining: 1 }, http: undefined, disableRequestLogging: true });
  // Bodies stream through as they are (forms, JSON, uploads): no parsing here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));

  const handler = async (req: FastifyRequest<{ Params: { slug: string; app: string; '*'?: string } }>, reply: FastifyReply) => {
    const { slug, app: appId } = req.params;
    const rest = req.params['*'];
    if (rest === undefined) return reply.redirect(`/preview/${encodeURIComponent(slug)}/${encodeURIComponent(appId)}/`, 308);
    const target = await previews.target(slug, appId);
    if (!target) return reply.code(404).header('cache-control', 'no-store').send({ error: 'not_found', message: `no preview of module '${slug}' on '${appId}'` });
    const prefix = `/preview/${encodeURIComponent(slug)}/${encodeURIComponent(appId)}`;
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?')) : '';
    const origin = `http://${target.host}:${target.port}`;
    return reply.from(`${origin}/${rest}${query}`, {
      rewriteRequestHeaders: (_r, headers) => {
        const out: Record<string, string | string[] | undefined> = { ...headers };
        for (const h of STRIPPED) delete out[h];
        out.host = `${target.host}:${target.port}`;
        out['x-forwarded-prefix'] = prefix;
        out['x-forwarded-host'] = req.host;
        out['x-forwarded-proto'] = req.protocol;
        return out as never;
      },
      rewriteHeaders: (headers) => {
        const out: Record<string, unknown> = { ...headers };
        // A preview never sets cookies on Slipway's origin (it could replace the session's).
        delete out['set-cookie'];
        const location = typeof out.location === 'string' ? out.location : undefined;
        if (location?.startsWith(origin)) out.location = prefix + (location.slice(origin.length) || '/');
        else if (location?.startsWith('/') && !location.startsWith('//')) out.location = prefix + location;
        out['content-security-policy'] = PREVIEW_CSP;
        out['x-robots-tag'] = 'noindex';
        out['referrer-policy'] = 'no-referrer';
        return out as never;
      },
      onError: (r, { error }) => {
        r.code(502).header('cache-control', 'no-store').send({ error: 'bad_gateway', message: `the preview of '${slug}' on '${appId}' does not answer (${(error as Error).message})` });
      },
    });
  };
  // Not in the OpenAPI document: the preview's own HTTP, whatever it is (docs/contracts.md, section 10).
  const route = { schema: { hide: true } };
  app.all('/preview/:slug/:app', route, handler);
  app.all('/preview/:slug/:app/*', route, handler);
};
