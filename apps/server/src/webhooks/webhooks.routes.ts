import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { IntakeAnswer, WebhookIntake } from './webhook-intake.service.ts';
import { registerRejectLimit } from './reject-limit.ts';
import { apiErrorSchema, ciReportSchema, webhookAnswerSchema } from '@slipway/contracts';
import { answer as documented, describeOnly } from '../openapi/route-schemas.ts';

/**
 * The route's schema (the OpenAPI document). The intake reads the raw bytes itself (the signature
 * covers them) and parses them with ciReportSchema: its refusals keep their order and shapes.
 */
const schema = {
  tags: ['webhook'],
  summary: "CI's signed status report (docs/contracts.md, section 1)",
  description:
    'Authenticated by its signature: `X-Webhook-Signature: sha256=<hex HMAC-SHA256 of the exact raw body>`, or Standard Webhooks headers ' +
    '(`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`). Only `status` is required; unknown fields are ignored.',
  security: [{ webhookSignature: [] }],
  body: ciReportSchema,
  response: {
    200: documented('Committed (`accepted`), a repeated delivery (`duplicate`: nothing changed), or `ignored` (an earlier attempt, a finished target)', webhookAnswerSchema),
    400: documented('malformed_json: the body is not JSON', apiErrorSchema),
    401: documented('invalid_signature: missing or wrong signature, or a stale timestamp', apiErrorSchema),
    413: documented('payload_too_large: over WEBHOOK_MAX_BODY_BYTES', apiErrorSchema),
    422: documented('invalid_payload: an unknown status or a field of the wrong type; `details` names each', apiErrorSchema),
    429: documented('rate_limited: too many deliveries without a valid signature from this address (Retry-After)', apiErrorSchema),
    500: documented('internal: the delivery was not stored; send it again', apiErrorSchema),
  },
};

export interface WebhookRoutesOptions {
  intake: WebhookIntake;
  maxBodyBytes: number;
  /** Deliveries without a valid signature per client address and minute; 0: no limit. */
  rejectLimitPerMinute: number;
}

/** `POST /api/webhooks/dokploy/deployment` (docs/contracts.md §1). The HMAC needs the exact raw bytes. */
export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (app, { intake, maxBodyBytes, rejectLimitPerMinute }) => {
  describeOnly(app);
  const limit = rejectLimitPerMinute > 0 ? await registerRejectLimit(app, rejectLimitPerMinute) : undefined;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_req, body, done) => done(null, body));

  async function answer(req: FastifyRequest, reply: FastifyReply, a: IntakeAnswer) {
    if (!a.signed && limit && (await limit.count(req))) {
      req.log.warn({ client: req.ip }, `webhook deliveries without a valid signature reached ${rejectLimitPerMinute} a minute from this address: answering 429 for the rest of the minute`);
    }
    return reply.code(a.status).send(a.body);
  }

  app.setErrorHandler(async (err, req, reply) => {
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.statusCode === 413 || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return answer(req, reply, await intake.refuse(req.headers, req.ip, 413, 'payload_too_large', `body is larger than ${maxBodyBytes} bytes`, req.id));
    }
    if (e.statusCode && e.statusCode < 500) return reply.code(e.statusCode).send({ error: 'bad_request', message: e.message });
    req.log.error({ err }, 'webhook intake failed');
    return reply.code(500).send({ error: 'internal', message: 'the delivery was not stored; send it again' });
  });

  // Before the body is read: a client over its limit costs neither a signature check nor a row.
  const refuseOverLimit = async (req: FastifyRequest, reply: FastifyReply) => {
    const wait = await limit?.blockedFor(req);
    if (wait === undefined) return;
    intake.noteRateLimited();
    return reply
      .code(429)
      .header('retry-after', String(wait))
      .send({ error: 'rate_limited', message: `too many deliveries without a valid signature from this address; retry in ${wait} s` });
  };

  // Fastify's own request lines would repeat the intake's (one per delivery, with its outcome).
  // `rateLimit: false`: no application-wide limit may ever slow signed deliveries.
  app.post(
    '/api/webhooks/dokploy/deployment',
    { schema, bodyLimit: maxBodyBytes, logLevel: 'warn', config: { rateLimit: false }, ...(limit ? { onRequest: refuseOverLimit } : {}) },
    async (req, reply) => {
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      return answer(req, reply, await intake.receive(raw, req.headers, req.ip, req.id));
    },
  );
};
