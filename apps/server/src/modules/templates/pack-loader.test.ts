import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BUILTIN_TEMPLATES_DIR, loadPack, REPOSITORY_PACKS_DIR } from './pack-loader.ts';
import { renderPack } from './render.ts';
import { defineModule, GENERATED_AT } from './test-modules.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function repoWithPack(name: string, files: Record<string, string>): string {
  const repo = mkdtempSync(path.join(tmpdir(), 'slipway-repo-'));
  dirs.push(repo);
  for (const [rel, content] of Object.entries(files)) {
    const target = path.join(repo, REPOSITORY_PACKS_DIR, name, rel);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return repo;
}

const mod = defineModule({ name: 'Products', applications: ['backend'], fields: [{ name: 'title', type: 'string' }] });

describe('loadPack', () => {
  it('finds the built-in packs in templates/', async () => {
    for (const name of ['typescript-api', 'angular', 'laravel']) {
      const pack = await loadPack(name);
      expect(pack.origin).toBe('built-in');
      expect(pack.files['pack.yaml']).toContain(`name: ${name}`);
    }
    expect(BUILTIN_TEMPLATES_DIR.endsWith(`${path.sep}templates${path.sep}`)).toBe(true);
  });

  it("prefers the repository's own pack, whole", async () => {
    const repo = repoWithPack('laravel', {
      'pack.yaml': 'name: laravel\nfiles:\n  - { template: m.eta, path: "app/<%= it.names.singular.pascal %>.php" }\n',
      'm.eta': '<?php // ours: <%= it.names.table %>\n',
    });
    const pack = await loadPack('laravel', { repositoryDir: repo });
    expect(pack.origin).toBe('repository');
    expect(renderPack(pack, mod, { generatedAt: GENERATED_AT })).toEqual([{ path: 'app/Product.php', content: '<?php // ours: products\n' }]);
  });

  it('falls back to the built-in pack when the repository has none of that name', async () => {
    const repo = repoWithPack('other', { 'pack.yaml': 'name: other' });
    expect((await loadPack('laravel', { repositoryDir: repo })).origin).toBe('built-in');
  });

  it('refuses symbolic links in a repository pack', async () => {
    const repo = repoWithPack('laravel', { 'pack.yaml': 'name: laravel' });
    symlinkSync('/etc/passwd', path.join(repo, REPOSITORY_PACKS_DIR, 'laravel', 'secret.eta'));
    await expect(loadPack('laravel', { repositoryDir: repo })).rejects.toThrow(/secret\.eta is a symbolic link/);
  });

  it('refuses pack names that could climb out, and unknown packs', async () => {
    await expect(loadPack('../etc')).rejects.toThrow(/not a valid pack name/);
    await expect(loadPack('no-such-pack')).rejects.toThrow(/no such pack/);
  });
});
