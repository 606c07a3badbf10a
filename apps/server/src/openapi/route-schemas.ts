import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { apiErrorSchema } from '@slipway/contracts';

/**
 * What route plugins use to declare their zod schemas (packages/contracts) for the OpenAPI
 * document (openapi.ts), without pulling in the document's plugins.
 */

/**
 * The route schemas of this scope describe; they do not change what a request gets. Requests are
 * validated where they always were, by the handlers and services, with the same schemas, so a
 * refusal keeps its status and shape (422 with `details`, and 401 before any 422). Answers are
 * serialized as before, JSON.stringify of what the handler returns, so a schema never drops or
 * renames a field; openapi.test.ts checks real answers against the document instead.
 * Call it first in each route plugin with schemas: the plugin then works in any Fastify app,
 * with or without the document (the realtime routes are also registered on their own).
 */
export function describeOnly(scope: FastifyInstance): void {
  scope.setValidatorCompiler(() => () => true);
  // Fastify's fallback error handler hands the serializer the Error itself (its fields are not
  // enumerable): answer what it would answer without a schema.
  scope.setSerializerCompiler(() => (data) => JSON.stringify(data instanceof Error ? errorBody(data) : data));
}

function errorBody(e: Error & { statusCode?: number; code?: string; error?: string }) {
  return { statusCode: e.statusCode, code: e.code, error: e.error, message: e.message };
}

/** `security` of a route that needs a signed-in user: the session cookie, or a personal access token. */
export const SIGNED_IN: { [scheme: string]: string[] }[] = [{ session: [] }, { bearerToken: [] }];

/**
 * A documented answer: its description, and its JSON body's schema. (A schema's own `.describe()`
 * would make a copy of a named schema, and the document would repeat it instead of referring to it.)
 */
export const answer = <T extends z.ZodType>(description: string, schema: T) => ({ description, content: { 'application/json': { schema } } });

/** The usual refusals of a signed-in route, for `response`. */
export const SIGNED_IN_ERRORS = {
  401: answer('Not signed in (no or bad session, token, or CSRF header)', apiErrorSchema),
  403: answer('Signed in, but not allowed', apiErrorSchema),
};

