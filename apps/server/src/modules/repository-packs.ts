import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApplicationConfig } from '../config/config.ts';
import { gitEnv, runGit } from '../git/git-runner.ts';
import { makeScrubber } from '../git/scrub.ts';
import { PACK_NAME_PATTERN, PackError, REPOSITORY_PACKS_DIR, type PackContents } from './templates/index.ts';

// A repository's pack is outside input: bound what it can make Slipway read (as pack-loader does).
const MAX_FILES = 500;
const MAX_FILE_BYTES = 1 << 20;

/** Reads template packs that target repositories carry in `.slipway/templates/<pack>`. */
export interface RepositoryPackSource {
  /** The pack on `ref` of the application's repository, or undefined when it has none (or is not readable here). */
  load(app: ApplicationConfig, pack: string, ref: string): Promise<PackContents | undefined>;
}

/** A repository on this machine: a path or file:// URL (the repositories Slipway hosts are such). */
export function localRepositoryDir(repoUrl: string | undefined): string | undefined {
  if (!repoUrl) return undefined;
  let path: string;
  try {
    path = repoUrl.startsWith('file://') ? fileURLToPath(repoUrl) : /^[a-z][a-z0-9+.-]*:\/\//i.test(repoUrl) || /^[^/]+@[^/]+:/.test(repoUrl) ? '' : resolve(repoUrl);
  } catch {
    return undefined;
  }
  if (!path) return undefined;
  if (existsSync(join(path, 'HEAD')) || existsSync(join(path, '.git'))) return path;
  return undefined;
}

/**
 * Packs read straight from the git objects of a local repository (`git ls-tree` + one
 * `git cat-file --batch`): no checkout, no temporary files. Remote repositories answer undefined,
 * so the built-in pack is used for them.
 */
export class GitRepositoryPacks implements RepositoryPackSource {
  async load(app: ApplicationConfig, pack: string, ref: string): Promise<PackContents | undefined> {
    const dir = localRepositoryDir(app.repoUrl);
    if (!dir || !PACK_NAME_PATTERN.test(pack)) return undefined;
    const label = `${pack} (repository)`;
    const run = (args: string[], input?: string, okCodes?: number[]) =>
      runGit(args, { cwd: dir, env: gitEnv(), timeoutMs: 15_000, scrub: makeScrubber(), input, okCodes });
    const prefix = `${REPOSITORY_PACKS_DIR}/${pack}/`;
    const ls = await run(['ls-tree', '-r', '-z', '-l', '--full-tree', `refs/heads/${ref}`, '--', prefix], undefined, [128]);
    if (ls.code !== 0) return undefined; // no such branch (an empty repository)
    const entries = ls.stdout
      .toString('utf8')
      .split('\0')
      .filter(Boolean)
      .map((line) => {
        const tab = line.indexOf('\t');
        const [mode = '', type = '', sha = '', size = ''] = line.slice(0, tab).split(/\s+/);
        return { mode, type, sha, size: Number(size), path: line.slice(tab + 1).slice(prefix.length) };
      });
    if (entries.length === 0) return undefined;
    if (entries.length > MAX_FILES) throw new PackError(label, `it has more than ${MAX_FILES} files`);
    for (const e of entries) {
      if (e.mode === '120000') throw new PackError(label, `${e.path} is a symbolic link, which packs may not contain`);
      if (e.type !== 'blob') throw new PackError(label, `${e.path} is a ${e.type}, which packs may not contain`);
      if (e.size > MAX_FILE_BYTES) throw new PackError(label, `${e.path} is larger than 1 MiB`);
    }
    const batch = (await run(['cat-file', '--batch'], entries.map((e) => `${e.sha}\n`).join(''))).stdout;
    const files: Record<string, string> = {};
    let at = 0;
    for (const e of entries) {
      const nl = batch.indexOf(0x0a, at);
      const size = Number(batch.subarray(at, nl).toString('latin1').split(' ')[2]);
      files[e.path] = batch.subarray(nl + 1, nl + 1 + size).toString('utf8');
      at = nl + 1 + size + 1;
    }
    return { name: pack, origin: 'repository', files };
  }
}
