import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { OpenAPIV3_1 } from 'openapi-types';
import { SESSION_COOKIE } from '../auth/auth.hooks.ts';
import { describeOnly } from './route-schemas.ts';

/** Where the document and its reference page are served. */
export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PREFIX = '/api/docs';

/**
 * Routes left out of the document, on purpose. Every other route must be in it (openapi.test.ts):
 * - the document and its page themselves;
 * - git smart HTTP (`/git/<app>.git/...`): git's own protocol, spoken by git clients;
 * - the Pusher HTTP API (`/apps/{id}/...`): Pusher's protocol, spoken by Pusher SDKs, signed with
 *   the app secret (docs/realtime.md);
 * - `/metrics`: Prometheus's text exposition format, read by Prometheus, not by API clients;
 * - the web app's files (`/`, `/*`).
 */
export const HIDDEN_ROUTE_PREFIXES = [OPENAPI_PATH, DOCS_PREFIX, '/git/', '/apps/', '/preview/'] as const;
export const HIDDEN_ROUTES = ['/', '/*', '/metrics'] as const;

/** CORS preflights (`OPTIONS`, realtime/cors.ts) are HTTP's machinery, not operations: hidden too. */
export const isHiddenRoute = (method: string | readonly string[], url: string) =>
  method === 'OPTIONS' ||
  (HIDDEN_ROUTES as readonly string[]).includes(url) ||
  HIDDEN_ROUTE_PREFIXES.some((p) => url === p || url.startsWith(p));

const zodTransform = createJsonSchemaTransform({ skipList: [] });

/** Every route added to an app after registerOpenApi, as Fastify's onRoute hook saw it (openapi.test.ts compares). */
const seen = new WeakMap<FastifyInstance, { method: string; url: string }[]>();
export const registeredRoutes = (app: FastifyInstance): readonly { method: string; url: string }[] => seen.get(app) ?? [];

/**
 * The OpenAPI 3.1 document, built by @fastify/swagger from the zod schemas the routes carry (the
 * ones in packages/contracts, which the web app's types are inferred from), and its reference page
 * (@fastify/swagger-ui, served from this server: it works offline and under the app's CSP).
 *
 * The schemas describe; they do not change what a request gets:
 * - requests are validated where they always were, by the handlers and services, with the same
 *   schemas: a refusal keeps its status and shape (422 with `details`, and 401 before any 422);
 * - answers are serialized as before (JSON.stringify of what the handler returns), so no field is
 *   ever dropped or renamed by a schema; openapi.test.ts checks real answers against the document.
 *
 * Register before any route: @fastify/swagger collects routes as they are added.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  const routes: { method: string; url: string }[] = [];
  seen.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });
  describeOnly(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Slipway',
        version,
        description:
          'Create a code module, publish it on a branch, follow its deployment. Generated from the zod schemas each route carries (packages/contracts). ' +
          'Mutating calls with a session cookie also send the XSRF-TOKEN cookie back as the X-XSRF-TOKEN header; a Bearer token needs no CSRF header.',
        license: { name: 'MIT', identifier: 'MIT' },
      },
      tags: [
        { name: 'webhook', description: "CI's signed status reports (docs/contracts.md, section 1)" },
        { name: 'deployments', description: 'The admin API (section 2), history, and the Cancel, Retry and Redeploy controls' },
        { name: 'modules', description: 'Module definitions: preview, create and update (which publish and deploy), delete; deploy targets' },
        { name: 'auth', description: 'Sign-in (cookie session with CSRF double submit) and personal access tokens' },
        { name: 'realtime', description: 'Channel and user auth for the Pusher protocol, and what the browser needs to connect (docs/realtime.md)' },
        { name: 'health', description: 'Liveness and readiness' },
        { name: 'notifications', description: 'Notification channels (webhook, Slack, Discord, email) and their deliveries (docs/notifications.md)' },
        { name: 'previews', description: "Each module's preview environments: list, tear down (docs/previews.md); Promote is under modules" },
      ],
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'Set by POST /api/auth/login' },
          bearerToken: { type: 'http', scheme: 'bearer', description: 'A personal access token (`slp_…`): POST /api/auth/tokens, or `slipway token create`' },
          webhookSignature: { type: 'apiKey', in: 'header', name: 'X-Webhook-Signature', description: '`sha256=<hex HMAC-SHA256 of the raw body>` (docs/contracts.md, section 1)' },
        },
      },
    },
    transform: (doc) => (isHiddenRoute(doc.route.method, doc.url) ? { schema: { ...doc.schema, hide: true }, url: doc.url } : zodTransform(doc)),
    transformObject: (doc) => withoutUnusedSchemas(jsonSchemaTransformObject(doc) as OpenAPIV3_1.Document),
  });

  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());

  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    // Never calls out: no online validator badge.
    uiConfig: { validatorUrl: null, deepLinking: true },
  });
}

/**
 * The named schemas nothing refers to left out: the zod registry holds every named schema of the
 * contracts, each in an input and an output version, and only those the routes use belong here.
 */
function withoutUnusedSchemas(doc: OpenAPIV3_1.Document): OpenAPIV3_1.Document {
  const schemas = doc.components?.schemas;
  if (!schemas) return doc;
  const refsIn = (value: unknown) => [...JSON.stringify(value).matchAll(/"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
  const used = new Set<string>();
  const queue = refsIn({ ...doc, components: { ...doc.components, schemas: {} } });
  while (queue.length) {
    const name = queue.pop()!;
    if (used.has(name)) continue;
    used.add(name);
    queue.push(...refsIn(schemas[name]));
  }
  return { ...doc, components: { ...doc.components, schemas: Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name))) } };
}
