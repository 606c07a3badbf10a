import type { FastifyReply } from 'fastify';
import type { z } from 'zod';

/** 422 naming each bad field: `{ error, message, details: [{ field, message }] }`. */
export function sendValidationError(reply: FastifyReply, error: z.ZodError) {
  const details = error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
  return reply.code(422).send({ error: 'invalid_input', message: details.map((d) => `${d.field}: ${d.message}`).join('; '), details });
}
