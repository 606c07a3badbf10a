import { describe, expect, it } from 'vitest';
import { imageName, imageRefs, imageTags, sanitizeImageTag, shortSha } from './image-tags.ts';

const SHA = 'abc123def4567890abc123def4567890abc12345';

describe('image tags', () => {
  it("gives the spec's table", () => {
    expect(imageTags('main', SHA)).toEqual(['latest', 'sha-abc123d', 'main']);
    expect(imageTags('module/products', SHA)).toEqual(['sha-abc123d', 'module-products']);
  });

  it('accepts full refs', () => {
    expect(imageTags('refs/heads/main', SHA)).toEqual(['latest', 'sha-abc123d', 'main']);
    expect(imageTags('refs/heads/module/products', SHA)).toEqual(['sha-abc123d', 'module-products']);
  });

  it("follows docker/metadata-action's rule: each run outside [A-Za-z0-9._-] becomes one '-'", () => {
    expect(sanitizeImageTag('module/products')).toBe('module-products');
    expect(sanitizeImageTag('feature//Big Thing@v2')).toBe('feature-Big-Thing-v2');
    expect(sanitizeImageTag('release_1.2-rc.3')).toBe('release_1.2-rc.3');
    expect(sanitizeImageTag('modulé/ça')).toBe('modul-a');
    expect(imageTags('feature/x+y', SHA)).toEqual(['sha-abc123d', 'feature-x-y']);
  });

  it('tags latest only on the main branch, which can be renamed', () => {
    expect(imageTags('module/main', SHA)).not.toContain('latest');
    expect(imageTags('trunk', SHA, { mainBranch: 'trunk' })).toEqual(['latest', 'sha-abc123d', 'trunk']);
    expect(imageTags('main', SHA, { mainBranch: 'trunk' })).toEqual(['sha-abc123d', 'main']);
  });

  it('never repeats a tag', () => {
    expect(imageTags('sha-abc123d', SHA)).toEqual(['sha-abc123d']);
  });

  it('refuses what is not a commit id or a branch', () => {
    expect(shortSha('ABC123D')).toBe('ABC123D');
    expect(() => shortSha('abc12')).toThrow(/not a commit id/);
    expect(() => imageTags('main', 'not-a-sha')).toThrow(/not a commit id/);
    expect(() => imageTags('refs/heads/', SHA)).toThrow(/branch is empty/);
  });

  it('names images in lower case, as registries require', () => {
    expect(imageName('Acme/Backend')).toBe('ghcr.io/acme/backend');
    expect(imageRefs('ghcr.io/acme/backend', imageTags('module/products', SHA))).toEqual([
      'ghcr.io/acme/backend:sha-abc123d',
      'ghcr.io/acme/backend:module-products',
    ]);
  });
});
