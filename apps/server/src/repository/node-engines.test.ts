import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// semver is what npm itself uses to check `engines` (EBADENGINE); it is in the tree through many packages.
const semver = createRequire(import.meta.url)('semver') as {
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};

const ROOT = resolve(import.meta.dirname, '../../../..');
const read = (file: string) => readFileSync(resolve(ROOT, file), 'utf8');

/** The lowest Node of each line the repository promises: the README's sentence and the root `engines`. */
function promisedNodes(): string[] {
  const readme = /Node\.js (\d+) \(≥ (\d+\.\d+)\)/.exec(read('README.md'));
  const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
  const lines = engines.split('||').map((r) => semver.minVersion(r.trim())!.version);
  return [...new Set([...(readme ? [`${readme[2]}.0`] : []), ...lines])];
}

describe('what npm ci installs', () => {
  it('promises Node 20 in the README, and the root engines admit it', () => {
    const nodes = promisedNodes();
    expect(nodes[0]).toBe('20.19.0');
    const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    for (const v of nodes) expect(semver.satisfies(v, engines)).toBe(true);
  });

  it('declares the LTS lines 20, 22 and 24, in the root and in the server workspace alike', () => {
    const root = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
    const server = (JSON.parse(read('apps/server/package.json')) as { engines?: { node: string } }).engines?.node;
    expect(server).toBe(root);
    for (const v of ['20.19.0', '22.13.0', '24.0.0', '24.11.0']) expect(semver.satisfies(v, root), v).toBe(true);
    // Nothing older than the versions the dependencies need (Angular 21, Kysely, better-sqlite3).
    for (const v of ['18.20.0', '20.18.0', '21.0.0', '22.12.0']) expect(semver.satisfies(v, root), v).toBe(false);
  });

  it('has no package whose engines refuse a Node the repository promises (npm warns EBADENGINE)', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version?: string; engines?: { node?: string } | string[] }> };
    const refused: string[] = [];
    for (const v of promisedNodes()) {
      for (const [path, pkg] of Object.entries(lock.packages)) {
        const range = !Array.isArray(pkg.engines) ? pkg.engines?.node : undefined;
        if (range && !semver.satisfies(v, range)) refused.push(`${path.replace(/^.*node_modules\//, '')}@${pkg.version} needs node ${range}, not ${v}`);
      }
    }
    expect(refused).toEqual([]);
  });
});
