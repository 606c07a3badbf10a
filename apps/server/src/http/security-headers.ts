import type { FastifyHelmetOptions } from '@fastify/helmet';

/** Where the browser's realtime socket goes when it is not the page's own origin. */
export interface RealtimeOrigin {
  driver: 'embedded' | 'redis' | 'external';
  host: string | null;
  port: number | null;
  scheme: 'http' | 'https' | null;
  cluster: string;
}

/** `wss://ws.example.com:443` for an external Pusher-compatible service; none for the embedded one. */
export function realtimeSocketSources(rt: RealtimeOrigin): string[] {
  if (rt.driver !== 'external') return [];
  const scheme = rt.scheme ?? 'https';
  const host = rt.host ?? `ws-${rt.cluster}.pusher.com`;
  const port = rt.port ? `:${rt.port}` : '';
  return [`${scheme === 'https' ? 'wss' : 'ws'}://${host}${port}`, `${scheme}://${host}${port}`];
}

/**
 * Security headers for every answer (@fastify/helmet). The web app is a built Angular bundle:
 * scripts only from Slipway's origin; inline styles are allowed because Angular and Material set
 * them at run time. The page may not be framed (clickjacking on "Delete" or "Deploy").
 */
export function securityHeaders(rt: RealtimeOrigin): FastifyHelmetOptions {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", ...realtimeSocketSources(rt)],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    frameguard: { action: 'deny' },
    // Links to a module's live URL open other origins; the page itself never needs to be isolated.
    crossOriginEmbedderPolicy: false,
    // Off unless served over https: a plain-http start on localhost must keep working.
    hsts: false,
  };
}
