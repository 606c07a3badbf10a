import rateLimit from '@fastify/rate-limit';
import { limitKey } from '../http/client-address.ts';
import type { FastifyInstance, FastifyRequest } from 'fastify';

export interface RejectLimit {
  /** Seconds until the client may send again when it is over its limit, else undefined. Reads only: counts nothing. */
  blockedFor(req: FastifyRequest): Promise<number | undefined>;
  /** Counts one delivery without a valid signature; true when it used the client's last one. */
  count(req: FastifyRequest): Promise<boolean>;
}

const WINDOW_MS = 60_000;

/**
 * Deliveries without a valid signature, per client address (an IPv6 address's /64) and minute,
 * with @fastify/rate-limit's store. Only those are counted: `count` runs after the intake
 * rejected one, so valid deliveries never use up a client's allowance. Every request reads its
 * client's count before the body is read (`blockedFor`, `{ increment: false }`), so a client over
 * the limit is answered 429 without the signature being checked or anything stored. The store
 * is the plugin's LRU (5,000 addresses, least recently seen forgotten first): bounded memory.
 */
export async function registerRejectLimit(app: FastifyInstance, perMinute: number): Promise<RejectLimit> {
  await app.register(rateLimit, { global: false });
  // Every option that matters given here: a registration in a parent context must not lend its own.
  const limiter = app.createRateLimit({ max: perMinute, timeWindow: WINDOW_MS, keyGenerator: (req) => limitKey(req.ip), allowList: undefined, ban: undefined });
  return {
    async blockedFor(req) {
      const r = await limiter(req, { increment: false });
      return !r.isAllowed && r.remaining === 0 ? Math.max(1, r.ttlInSeconds) : undefined;
    },
    async count(req) {
      const r = await limiter(req);
      return !r.isAllowed && r.remaining === 0;
    },
  };
}
