import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GeneratedFile } from '@slipway/contracts';

/**
 * Test support: writes generated files into a throwaway project under apps/server (gitignored as
 * .tmp-*), so Node resolution finds the repository's node_modules, and runs tools on it.
 */

const SERVER_DIR = fileURLToPath(new URL('../../../', import.meta.url));
const require = createRequire(import.meta.url);

export const STRICT_TSCONFIG = {
  compilerOptions: {
    target: 'ES2023',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    allowImportingTsExtensions: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  },
  include: ['src'],
};

export function writeProject(prefix: string, files: readonly GeneratedFile[], extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(SERVER_DIR, `.tmp-${prefix}-`));
  writeFiles(dir, [...files, ...Object.entries(extra).map(([p, content]) => ({ path: p, content }))]);
  return dir;
}

/** Writes (or overwrites) files in a project, as an update does. */
export function writeFiles(dir: string, files: readonly GeneratedFile[]): void {
  for (const f of files) {
    const target = path.join(dir, f.path);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, f.content);
  }
}

export function removeProject(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface RunResult {
  status: number | null;
  output: string;
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): RunResult {
  // A child Vitest must not think it is one of this run's workers.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'FORCE_COLOR'));
  env.NO_COLOR = '1';
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

/** `tsc --noEmit -p <dir>` with the repository's TypeScript. */
export function typecheck(dir: string): RunResult {
  const tsc = require.resolve('typescript/bin/tsc');
  return run(process.execPath, [tsc, '--noEmit', '-p', dir], dir, 120_000);
}

/** The project's own Vitest suites, run by the repository's Vitest with no config of ours. */
export function runVitest(dir: string): RunResult {
  const vitest = path.join(path.dirname(require.resolve('vitest/package.json')), 'vitest.mjs');
  // Vitest looks for a config upwards: give it an empty one, or it would take the repository's.
  writeFileSync(path.join(dir, 'vitest.config.mjs'), 'export default {};\n');
  return run(process.execPath, [vitest, 'run', '--root', dir, '--config', path.join(dir, 'vitest.config.mjs')], dir, 120_000);
}

/** Whether a package resolves from the generated projects' location. */
export function resolves(specifier: string): boolean {
  try {
    createRequire(path.join(SERVER_DIR, 'package.json')).resolve(specifier);
    return true;
  } catch {
    return false;
  }
}

export function hasCommand(command: string, args: string[] = ['--version']): boolean {
  return spawnSync(command, args, { encoding: 'utf8' }).status === 0;
}

export function runCommand(command: string, args: string[], cwd: string, timeoutMs = 60_000): RunResult {
  return run(command, args, cwd, timeoutMs);
}
