import type { FastifyPluginAsync } from 'fastify';
import type { WebhookIntake } from './webhook-intake.service.ts';

export interface WebhookRoutesOptions {
  intake: WebhookIntake;
  maxBodyBytes: number;
}

/** `POST /api/webhooks/dokploy/deployment` (DESIGN.md §1). The HMAC needs the exact raw bytes. */
export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (app, { intake, maxBodyBytes }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_req, body, done) => done(null, body));

  app.setErrorHandler(async (err, req, reply) => {
    const e = err as { statusCode?: number; code?: string; message: string };
    if (e.statusCode === 413 || e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const a = await intake.refuse(req.headers, 413, 'payload_too_large', `body is larger than ${maxBodyBytes} bytes`);
      return reply.code(a.status).send(a.body);
    }
    if (e.statusCode && e.statusCode < 500) return reply.code(e.statusCode).send({ error: 'bad_request', message: e.message });
    req.log.error({ err }, 'webhook intake failed');
    return reply.code(500).send({ error: 'internal', message: 'the delivery was not stored; send it again' });
  });

  // Fastify's own request lines would repeat the intake's (one per delivery, with its outcome).
  app.post('/api/webhooks/dokploy/deployment', { bodyLimit: maxBodyBytes, logLevel: 'warn' }, async (req, reply) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const answer = await intake.receive(raw, req.headers);
    return reply.code(answer.status).send(answer.body);
  });
};
