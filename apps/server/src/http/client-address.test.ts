import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientAddressOf, limitKey, parseTrustProxy, trustFunction, validTrustProxy } from './client-address.ts';

const request = (remote: string, forwarded?: string) =>
  ({ socket: { remoteAddress: remote }, connection: { remoteAddress: remote }, headers: forwarded ? { 'x-forwarded-for': forwarded } : {} }) as unknown as IncomingMessage;

describe('trust proxy', () => {
  it('is off by default and for false-like values', () => {
    for (const v of [undefined, '', 'false', '0', 'no', 'off']) expect(parseTrustProxy(v)).toBe(false);
  });

  it('reads true, a hop count and address lists', () => {
    expect(parseTrustProxy('true')).toBe(true);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
  });

  it('refuses addresses proxy-addr cannot read', () => {
    expect(validTrustProxy('loopback,10.0.0.0/8')).toBe(true);
    expect(validTrustProxy('not-an-address')).toBe(false);
  });

  it('ignores X-Forwarded-For unless the hop is trusted', () => {
    const req = request('127.0.0.1', '203.0.113.9');
    expect(clientAddressOf(req, trustFunction(false))).toBe('127.0.0.1');
    expect(clientAddressOf(req, trustFunction(['loopback']))).toBe('203.0.113.9');
    expect(clientAddressOf(request('198.51.100.7', '203.0.113.9'), trustFunction(['loopback']))).toBe('198.51.100.7');
    expect(clientAddressOf(request('127.0.0.1', '203.0.113.9, 10.1.1.1'), trustFunction(1))).toBe('10.1.1.1');
  });
});

describe('limitKey', () => {
  it('keeps IPv4 as is, also when written IPv4-mapped', () => {
    expect(limitKey('203.0.113.7')).toBe('203.0.113.7');
    expect(limitKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(limitKey('::FFFF:203.0.113.7')).toBe('203.0.113.7');
  });

  it('counts IPv6 by its /64, however it is written', () => {
    const k = limitKey('2001:db8:0:1::1');
    expect(limitKey('2001:0db8:0000:0001:ffff:ffff:ffff:ffff')).toBe(k);
    expect(limitKey('2001:DB8:0:1:1:2:3:4')).toBe(k);
    expect(limitKey('2001:db8:0:2::1')).not.toBe(k);
  });

  it('gives something bounded for what is no address', () => {
    expect(limitKey(undefined)).toBe('unknown');
    expect(limitKey('')).toBe('unknown');
    expect(limitKey('x'.repeat(500))).toHaveLength(100);
  });
});
