// Slipway runs as JavaScript compiled from its TypeScript sources (apps/server/dist,
// packages/contracts/dist): no compiler at run time, so a CLI call answers at once.
// `npm ci` compiles (the root `prepare` script); this also recompiles when a source file is newer than
// the last build, so an edited checkout never runs stale code. An image carries dist/ without the
// sources or the compiler, and skips all of this.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PROJECTS = ['apps/server', 'packages/contracts'];

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Why the compiled code is missing or older than its sources, or undefined when it is current. */
function staleness() {
  for (const project of PROJECTS) {
    const src = `${ROOT}${project}/src`;
    const info = `${ROOT}${project}/tsconfig.tsbuildinfo`;
    if (!existsSync(src)) continue; // an image: compiled code only
    if (!existsSync(`${ROOT}${project}/dist`) || !existsSync(info)) return `${project} is not compiled yet`;
    if (newestMtime(src) > statSync(info).mtimeMs) return `${project}/src changed since the last build`;
  }
  return undefined;
}

/** The TypeScript compiler's script, or undefined where it is not installed (an image). */
function resolveTsc() {
  try {
    return createRequire(`${ROOT}package.json`).resolve('typescript/bin/tsc');
  } catch {
    return undefined;
  }
}

/** Compiles when needed (tsc -b, incremental). Returns false, with the reason printed, if it could not. */
export function ensureBuilt({ quiet = false } = {}) {
  const why = staleness();
  if (!why) return true;
  const tsc = resolveTsc();
  if (!tsc) {
    process.stderr.write(`slipway: ${why}, and the TypeScript compiler is not installed (run \`npm ci\`).\n`);
    return false;
  }
  if (!quiet) process.stderr.write(`slipway: ${why}; compiling (tsc -b)…\n`);
  const r = spawnSync(process.execPath, [tsc, '-b'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status === 0) return true;
  // tsc still emits on type errors (as tsx never checked types): run that, but say so.
  const emitted = staleness() === undefined;
  process.stderr.write(`slipway: the TypeScript build reported errors (above)${emitted ? '; running what it compiled' : ''}.\n`);
  return emitted;
}

// `node apps/server/bin/ensure-built.mjs`: the root package's `prepare` script, run by `npm ci`.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // `npm ci --omit=dev` on a tree that is already compiled: nothing to do, and no compiler to do it.
  if (!resolveTsc() && !staleness()) process.exit(0);
  process.exit(ensureBuilt({ quiet: true }) ? 0 : 1);
}
