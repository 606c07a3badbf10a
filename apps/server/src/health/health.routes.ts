import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

/** `GET /healthz`: 200 when the database answers, 503 otherwise. */
export const healthRoutes: FastifyPluginAsync<{ db: Db }> = async (app, { db }) => {
  app.get('/healthz', async (_req, reply) => {
    try {
      await sql`select 1`.execute(db);
      return { status: 'ok' };
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', message: `database: ${(err as Error).message}` });
    }
  });
};
