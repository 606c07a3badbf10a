import { describe, expect, it } from 'vitest';
import { AddressLimits } from './address-limits.ts';

const limits = () => new AddressLimits({ maxConnectionsPerAddress: 2, connectionRatePerAddress: 2, connectionBurstPerAddress: 3 });

describe('AddressLimits', () => {
  it('gives each address its own slots, and takes them back', () => {
    const l = limits();
    expect([l.acquire('a'), l.acquire('a'), l.acquire('a'), l.acquire('b')]).toEqual([true, true, false, true]);
    l.release('a');
    expect(l.openCount('a')).toBe(1);
    expect(l.acquire('a')).toBe(true);
  });

  it('allows a burst of attempts, then the rate', () => {
    const l = limits();
    const t0 = 1_000_000;
    expect([l.attempt('a', t0), l.attempt('a', t0), l.attempt('a', t0), l.attempt('a', t0)]).toEqual([true, true, true, false]);
    expect(l.attempt('b', t0)).toBe(true);
    expect(l.attempt('a', t0 + 499)).toBe(false);
    expect(l.attempt('a', t0 + 500)).toBe(true);
  });

  it('forgets addresses once they are back to a full bucket and hold no socket', () => {
    const l = limits();
    const t0 = 1_000_000;
    for (let i = 0; i < 1_000; i++) l.attempt(`10.0.${i >> 8}.${i & 255}`, t0);
    l.acquire('held');
    expect(l.trackedAddresses).toBe(1_001);
    l.sweep(t0 + 400);
    expect(l.trackedAddresses).toBe(1_001);
    l.sweep(t0 + 500);
    expect(l.trackedAddresses).toBe(1);
  });
});
