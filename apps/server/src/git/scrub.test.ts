import { describe, expect, it } from 'vitest';
import { makeScrubber } from './scrub.ts';

describe('makeScrubber', () => {
  const token = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';

  it('masks known secrets raw, URL-encoded and inside a Basic header value', () => {
    const odd = 'p@ss/w:rd+long';
    const s = makeScrubber([token, odd]);
    expect(s(`token ${token} here`)).not.toContain(token);
    expect(s(`x ${encodeURIComponent(odd)} y`)).toBe('x *** y');
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    expect(s(`header ${basic}`)).toBe('header ***');
  });

  it('masks credential shapes it was not told about', () => {
    const s = makeScrubber();
    expect(s("fatal: unable to access 'https://bob:hunter22@example.com/r.git/'")).toBe("fatal: unable to access 'https://***@example.com/r.git/'");
    expect(s('Authorization: Basic Ym9iOmh1bnRlcjIy')).toBe('Authorization: ***');
    expect(s('sent Bearer abcdefgh12345678')).toBe('sent Bearer ***');
    expect(s(`found ${token}`)).toBe('found ***');
    expect(s('glpat-abcdefghijklmnopqrst1 and slp_0123456789abcdefghijKLMNOP')).toBe('*** and ***');
  });

  it('leaves ordinary git output alone, and ignores too-short "secrets"', () => {
    const s = makeScrubber(['abc', '']);
    const text = "To http://127.0.0.1:4000/git/app.git\n ! [remote rejected] module/abc -> module/abc (pre-receive hook declined)";
    expect(s(text)).toBe(text);
  });
});
