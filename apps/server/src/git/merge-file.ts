import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gitEnv, runGit } from './git-runner.ts';
import { makeScrubber } from './scrub.ts';

const scrub = makeScrubber();
const TIMEOUT_MS = 30_000;

async function inTemp<T>(use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-merge-'));
  try {
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface MergeLabels {
  ours: string;
  base: string;
  theirs: string;
}

/**
 * `git merge-file -p` of three texts: `ours` with the changes from `base` to `theirs` applied.
 * `conflicts` counts the conflicting hunks (0: clean); `content` then holds the conflict markers,
 * labelled with `labels` — or, with `favor`, that side's lines in each conflicting hunk (the count
 * is then 0). Local files only, no repository.
 */
export async function mergeFile(
  ours: string,
  base: string,
  theirs: string,
  labels: MergeLabels,
  /** Resolve each conflicting part with one side's lines (`--ours` / `--theirs`), instead of markers. */
  favor?: 'ours' | 'theirs',
): Promise<{ content: string; conflicts: number }> {
  return inTemp(async (dir) => {
    await Promise.all([writeFile(join(dir, 'ours'), ours), writeFile(join(dir, 'base'), base), writeFile(join(dir, 'theirs'), theirs)]);
    const okCodes = Array.from({ length: 127 }, (_, i) => i + 1);
    const r = await runGit(['merge-file', '-p', ...(favor ? [`--${favor}`] : []), '-L', labels.ours, '-L', labels.base, '-L', labels.theirs, 'ours', 'base', 'theirs'], {
      cwd: dir,
      env: gitEnv(),
      timeoutMs: TIMEOUT_MS,
      scrub,
      okCodes,
    });
    return { content: r.stdout.toString('utf8'), conflicts: r.code };
  });
}

/**
 * The unified diff (`git diff --no-index`, 3 lines of context) from `before` to `after` of one
 * file, headed `a/<path>` → `b/<path>` (`/dev/null` for a side that does not exist), cut at
 * `maxBytes`. Empty when both are the same.
 */
export async function unifiedDiff(path: string, before: string | null, after: string | null, maxBytes = 64 * 1024): Promise<{ diff: string; truncated: boolean }> {
  if (before === after) return { diff: '', truncated: false };
  return inTemp(async (dir) => {
    const side = async (prefix: 'a' | 'b', content: string | null) => {
      if (content === null) return '/dev/null';
      const rel = `${prefix}/${path}`;
      await mkdir(dirname(join(dir, rel)), { recursive: true });
      await writeFile(join(dir, rel), content);
      return rel;
    };
    const [a, b] = [await side('a', before), await side('b', after)];
    const r = await runGit(['diff', '--no-index', '--no-color', '--no-ext-diff', '--no-renames', '--no-prefix', '-U3', '--', a, b], {
      cwd: dir,
      env: gitEnv(),
      timeoutMs: TIMEOUT_MS,
      scrub,
      okCodes: [1],
    });
    const out = r.stdout.toString('utf8');
    if (Buffer.byteLength(out) <= maxBytes) return { diff: out, truncated: false };
    const cut = r.stdout.subarray(0, maxBytes).toString('utf8').replace(/\uFFFD*$/, '');
    return { diff: cut.slice(0, cut.lastIndexOf('\n') + 1), truncated: true };
  });
}
