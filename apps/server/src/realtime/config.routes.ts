import type { FastifyInstance, FastifyRequest } from 'fastify';
import { clientConfigSchema, DEPLOYMENT_EVENT_NAME, type RealtimeClientConfig } from '@slipway/contracts';
import type { RealtimeConfig } from './config.ts';
import { describeOnly } from '../openapi/route-schemas.ts';

/**
 * `GET /api/config` (realtime part): what the browser gives `new Echo({...})`. With the embedded
 * server the socket is on Slipway's own origin, so host/port/scheme follow the request (behind a
 * proxy: set Fastify's trustProxy); with an external service they are PUSHER_HOST/PORT/SCHEME.
 */
export function realtimeClientConfig(cfg: RealtimeConfig, req: FastifyRequest): RealtimeClientConfig {
    let host: string | null = cfg.host;
    let scheme = cfg.scheme;
    let port = cfg.port;
    if (cfg.driver !== 'external') {
      scheme = req.protocol === 'https' ? 'https' : 'http';
      const hostHeader = req.host; // host[:port], forwarded when trustProxy is on
      const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostHeader);
      host = m?.[1] ?? req.hostname;
      port = m?.[2] ? Number(m[2]) : scheme === 'https' ? 443 : 80;
    } else if (!host) {
      // Pusher Channels itself: the socket host is given by the cluster.
      host = `ws-${cfg.cluster}.pusher.com`;
      scheme = 'https';
    }
    scheme ??= 'https';
    port ??= scheme === 'https' ? 443 : 80;
    return {
        broadcaster: 'pusher',
        driver: cfg.driver,
        key: cfg.key,
        cluster: cfg.cluster,
        host,
        port,
        scheme,
        // The same fields under the names Echo/pusher-js take, so the browser can spread them in.
        echo: {
          broadcaster: 'pusher',
          key: cfg.key,
          cluster: cfg.cluster,
          wsHost: host,
          wsPort: port,
          wssPort: port,
          forceTLS: scheme === 'https',
          enabledTransports: ['ws', 'wss'],
          authEndpoint: '/broadcasting/auth',
        },
        authEndpoint: '/broadcasting/auth',
        userChannelPattern: cfg.userChannelPattern,
        adminChannel: cfg.adminChannel,
        event: DEPLOYMENT_EVENT_NAME,
    };
}

export async function configRoutes(scope: FastifyInstance, opts: { config: RealtimeConfig }): Promise<void> {
  describeOnly(scope);
  const schema = { tags: ['realtime'], summary: 'What the browser gives `new Echo({...})` (docs/realtime.md)', response: { 200: clientConfigSchema } };
  scope.get('/api/config', { schema }, async (req) => ({ realtime: realtimeClientConfig(opts.config, req) }));
}
