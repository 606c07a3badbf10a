import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import { securityHeaders } from './http/security-headers.ts';
import { clientAddressOf, trustFunction } from './http/client-address.ts';
import { logEachRequestOnce } from './logging/request-log.ts';
import { echoRequestIds, requestIdOf } from './logging/request-context.ts';
import type { AppContext } from './context.ts';
import { authRoutes } from './auth/auth.routes.ts';
import { deploymentRoutes } from './deployments/deployments.routes.ts';
import { deploymentControlRoutes } from './deployments/deployment-controls.routes.ts';
import { healthRoutes } from './health/health.routes.ts';
import { Readiness } from './health/readiness.ts';
import { webhookRoutes } from './webhooks/webhooks.routes.ts';
import { readRealtimeConfig, registerRealtime } from './realtime/index.ts';
import { requestAuthenticator } from './auth/auth.hooks.ts';
import { applicationRoutes } from './applications/applications.routes.ts';
import { moduleRoutes } from './modules/modules.routes.ts';
import { webRoutes } from './web/web.routes.ts';
import { registerOpenApi } from './openapi/openapi.ts';
import { notificationRoutes } from './notifications/notifications.routes.ts';
import { gitHttpRoutes, RepoPermissions } from './git/index.ts';
import { metricsRoutes } from './metrics/index.ts';
import { previewProxyRoutes } from './previews/preview-proxy.routes.ts';
import { previewRoutes } from './previews/previews.routes.ts';

/** The Angular build, served on `/`. */
const WEB_BUILD_DIR = fileURLToPath(new URL('../../web/dist/web/browser', import.meta.url));

/** The HTTP app: plugins, then each concern's routes. No listening, no process concerns. */
export async function buildApp(ctx: AppContext, logger: FastifyInstance['log'] | boolean = false): Promise<FastifyInstance> {
  const trust = trustFunction(ctx.config.trustProxy);
  const app = Fastify({
    loggerInstance: typeof logger === 'object' ? logger : undefined,
    logger: typeof logger === 'boolean' ? logger : undefined,
    // The same rule decides websocket clients' addresses (realtime): one trust function for both.
    trustProxy: ctx.config.trustProxy === false ? false : trust,
    // Fastify logs two lines per request; logEachRequestOnce logs one.
    logController: new LogController({ disableRequestLogging: true }),
    // A well-formed X-Request-Id is kept, else a UUID; echoed back, and on every line of the request.
    genReqId: requestIdOf,
  });
  echoRequestIds(app);
  logEachRequestOnce(app);
  const realtimeConfig = readRealtimeConfig(ctx.config.env);
  await app.register(helmet, securityHeaders(realtimeConfig));
  app.decorateRequest('user', null);
  await app.register(cookie);
  // Before the routes: the OpenAPI document (/api/openapi.json) collects them as they are added.
  await registerOpenApi(app);

  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, req, reply) => {
    if (err.statusCode && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ error: err.code ?? 'bad_request', message: err.message });
    }
    req.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error; see the server log' });
  });
  // The path only: a query string may carry a signature or a token, which must not be echoed.
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}` }));

  const { db } = ctx.database;
  // Redis's check joins once the realtime server (which owns the bus) is registered, below.
  const readiness = new Readiness({ database: ctx.database, redisConfigured: realtimeConfig.driver === 'redis' });
  await app.register(healthRoutes, { readiness });
  await app.register(authRoutes, { auth: ctx.auth, secureCookie: ctx.config.session.secureCookie, loginPerAddressPerMinute: ctx.config.login.perAddressPerMinute });
  await app.register(deploymentRoutes, { db, auth: ctx.auth, deployments: ctx.deployments, live: ctx.live });
  await app.register(deploymentControlRoutes, { auth: ctx.auth, controls: ctx.controls });
  await app.register(notificationRoutes, { auth: ctx.auth, notifications: ctx.notifications });
  await app.register(applicationRoutes, { auth: ctx.auth, registry: ctx.applications });
  await app.register(moduleRoutes, { auth: ctx.auth, modules: ctx.modules, live: ctx.live });
  await app.register(previewRoutes, { auth: ctx.auth, previews: ctx.previews, promoter: ctx.promoter, ownerOf: (slug) => ctx.modules.ownerOf(slug) });
  // /preview/<slug>/<app>/…: the local runner's module services, under Slipway's origin (docs/previews.md).
  await app.register(previewProxyRoutes, { previews: ctx.previews });
  await app.register(webhookRoutes, {
    intake: ctx.intake,
    maxBodyBytes: ctx.config.webhook.maxBodyBytes,
    rejectLimitPerMinute: ctx.config.webhook.rejectLimitPerMinute,
  });
  // The repositories Slipway hosts, over git smart HTTP at /git/<app>.git (token auth).
  const permissions = new RepoPermissions({
    rules: (id) => ctx.applications.get(id),
    modulePrefix: ctx.config.moduleBranchPrefix,
    moduleOwner: (slug) => ctx.modules.ownerOf(slug),
  });
  await app.register(gitHttpRoutes, { reposDir: join(ctx.config.dataDir, 'repos'), authenticate: requestAuthenticator(ctx.auth), permissions, onPush: ctx.pushEvents.emit });

  const realtime = await registerRealtime(app, {
    config: realtimeConfig,
    authenticate: requestAuthenticator(ctx.auth),
    clientAddress: (req) => clientAddressOf(req, trust),
    // Who may watch a deployment (presence-deployment.{id}): whoever may see it, as the deployments API decides.
    deploymentAccess: async (user, id) => (await ctx.deployments.detail(db, user, Number(id))) !== undefined,
  });
  ctx.broadcaster.add(realtime.broadcaster);
  ctx.metrics?.observeRealtime(realtime.stats);
  readiness.useRedis(realtime.redisCheck);
  app.addHook('onClose', () => realtime.close());
  // On the app's port unless SLIPWAY_METRICS_PORT gives it one of its own (context.ts).
  if (ctx.metrics && !ctx.metricsServer) await app.register(metricsRoutes, { metrics: ctx.metrics, token: ctx.config.metrics.token });
  await app.register(webRoutes, { root: WEB_BUILD_DIR });
  return app;
}
