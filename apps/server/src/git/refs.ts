import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A ref's value read straight from a repository's files (loose ref, else packed-refs) — what
 * `git rev-parse` would say, without starting a process on the publish path. Null when absent.
 */
export async function readRef(gitDir: string, ref: string): Promise<string | null> {
  const loose = await readFile(join(gitDir, ref), 'utf8').catch(() => null);
  if (loose !== null) {
    const v = loose.trim();
    return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(v) ? v : null;
  }
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  return findPackedRef(packed, ref);
}

/** `<id> <ref>` lines; `#` headers and `^<id>` peel lines skipped. Pure. */
export function findPackedRef(packedRefs: string, ref: string): string | null {
  for (const line of packedRefs.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp > 0 && line.slice(sp + 1).trim() === ref && /^[0-9a-f]+$/.test(line.slice(0, sp))) return line.slice(0, sp);
  }
  return null;
}
