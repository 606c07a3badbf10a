import { describe, expect, it } from 'vitest';
import { safeOutputPath, UnsafeOutputPathError } from './output-path.ts';

describe('safeOutputPath', () => {
  it('normalises relative paths', () => {
    expect(safeOutputPath('src//a/./b.ts', 'p/t.eta')).toBe('src/a/b.ts');
    expect(safeOutputPath(' .github/workflows/x.yml ', 'p/t.eta')).toBe('.github/workflows/x.yml');
    expect(safeOutputPath('a..b/c...ts', 'p/t.eta')).toBe('a..b/c...ts');
  });

  it.each([
    ['../outside.ts', 'climbs out'],
    ['src/../../outside.ts', 'climbs out'],
    ['src/..', 'climbs out'],
    ['/etc/passwd', 'absolute'],
    ['C:/x.ts', 'absolute'],
    ['.git/hooks/post-checkout', 'inside .git'],
    ['sub/.GIT/config', 'inside .git'],
    ['src\\..\\x.ts', 'backslash'],
    ['', 'empty'],
    ['src/', 'directory'],
    ['.', 'directory'],
    ['a\nb', 'control characters'],
  ])('refuses %j, naming the template', (raw, reason) => {
    let error: unknown;
    try {
      safeOutputPath(raw, 'evil/x.ts.eta');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsafeOutputPathError);
    expect((error as Error).message).toContain('template evil/x.ts.eta');
    expect((error as Error).message).toContain(reason);
  });
});
