import type { IncomingMessage } from 'node:http';
import proxyAddr from '@fastify/proxy-addr';
import { normalizeIP } from '@fastify/rate-limit';

/** Which hops may set `X-Forwarded-For`: none (the default), every one, a count, or addresses. */
export type TrustProxy = false | true | number | string[];

/** Decides whether the hop at `addr` (the `i`-th from the socket) may be believed. */
export type TrustFn = (addr: string, i: number) => boolean;

/**
 * `SLIPWAY_TRUST_PROXY` → a trust function. Off by default: a client can write any
 * `X-Forwarded-For`, so believing it unasked would let anyone pick the address that rate limits
 * and lockouts count by.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'false' || v === '0' || v === 'no' || v === 'off') return false;
  if (v === 'true' || v === 'yes' || v === 'on') return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}

/** For the configuration check: proxy-addr throws on an address it cannot read. */
export function validTrustProxy(value: string): boolean {
  try {
    trustFunction(parseTrustProxy(value));
    return true;
  } catch {
    return false;
  }
}

export function trustFunction(setting: TrustProxy): TrustFn {
  if (setting === false) return () => false;
  if (setting === true) return () => true;
  if (typeof setting === 'number') return (_addr, i) => i < setting;
  return proxyAddr.compile(setting);
}

/** The client's address for a raw request (websocket upgrades), by the same rule Fastify uses. */
export function clientAddressOf(req: IncomingMessage, trust: TrustFn): string {
  return proxyAddr(req, trust) || 'unknown';
}

/**
 * The unit every per-client limit counts by (sign-in, rejected webhooks, channel auth, sockets):
 * an IPv4 address, also written IPv4-mapped, or an IPv6 address's /64, since one IPv6 client
 * usually holds a whole /64. @fastify/rate-limit's own rule, so every limit counts alike.
 */
export function limitKey(address: string | undefined): string {
  return address ? normalizeIP(address).slice(0, 100) : 'unknown';
}
