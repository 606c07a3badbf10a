import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/**
 * Whether an `Authorization` header carries `Bearer <token>`. Compared in constant time: both sides
 * are hashed first, so neither the token's length nor its first differing byte shows in the timing.
 */
export function bearerMatches(authorization: string | string[] | undefined, token: string): boolean {
  const header = Array.isArray(authorization) ? authorization[0] : authorization;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  // A missing header is still compared, so it costs what a wrong token costs.
  return timingSafeEqual(digest(m?.[1] ?? ''), digest(token)) && m !== null;
}

export interface ScrapeAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The answer to `GET /metrics`, on the app's port or on its own listener. */
export async function answerScrape(scrape: () => Promise<{ contentType: string; body: string }>, token: string | undefined, authorization: string | string[] | undefined): Promise<ScrapeAnswer> {
  if (token !== undefined && !bearerMatches(authorization, token)) {
    return {
      status: 401,
      headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer realm="metrics"' },
      body: JSON.stringify({ error: 'unauthorized', message: 'send Authorization: Bearer <SLIPWAY_METRICS_TOKEN>' }),
    };
  }
  const { contentType, body } = await scrape();
  return { status: 200, headers: { 'content-type': contentType, 'cache-control': 'no-store' }, body };
}
