import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseUpgradeTarget } from './upgrade-target.ts';

describe('upgrade request targets', () => {
  it('reads /app/{key} in origin and absolute form', () => {
    expect(parseUpgradeTarget('/app/slipway-key?protocol=7&client=js')).toEqual({ kind: 'app', key: 'slipway-key', protocol: '7' });
    expect(parseUpgradeTarget('/app/k/')).toEqual({ kind: 'app', key: 'k', protocol: null });
    expect(parseUpgradeTarget('http://example.test:80/app/k?protocol=6')).toEqual({ kind: 'app', key: 'k', protocol: '6' });
    expect(parseUpgradeTarget('/app/%6B')).toEqual({ kind: 'app', key: 'k', protocol: null });
  });

  it('leaves other paths to others', () => {
    for (const t of ['/', '/elsewhere', '/app', '/app/', '/app/k/extra', undefined]) expect(parseUpgradeTarget(t)).toEqual({ kind: 'other' });
  });

  it('calls unreadable targets invalid instead of throwing', () => {
    expect(parseUpgradeTarget('/app/%E0%A4%A?protocol=7')).toMatchObject({ kind: 'invalid' });
    expect(parseUpgradeTarget('http://[bad/app/x')).toMatchObject({ kind: 'invalid' });
    expect(parseUpgradeTarget('/app/%ZZ')).toMatchObject({ kind: 'invalid' });
  });

  it('never throws, whatever the string', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string().map((s) => `/app/${s}`), fc.webUrl()), (s) => void parseUpgradeTarget(s)), { numRuns: 2_000 });
  });
});
