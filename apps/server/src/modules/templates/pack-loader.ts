import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACK_NAME_PATTERN, PackError } from './pack-manifest.ts';
import type { PackContents } from './render.ts';

/** The only file-system part of rendering: reads a pack directory into `PackContents`. */

/** `templates/` at the root of the Slipway checkout. */
export const BUILTIN_TEMPLATES_DIR = fileURLToPath(new URL('../../../../../templates/', import.meta.url));
/** Where a target repository keeps its own packs, which win over the built-in ones. */
export const REPOSITORY_PACKS_DIR = '.slipway/templates';

// A repository's pack is outside input: bound what it can make Slipway read.
const MAX_FILES = 500;
const MAX_FILE_BYTES = 1 << 20;

async function isDirectory(dir: string): Promise<boolean> {
  try {
    return (await lstat(dir)).isDirectory();
  } catch {
    return false;
  }
}

/** Reads every file under `dir`. Symlinks are refused: they could point outside the repository. */
export async function readPackDirectory(dir: string, name: string, origin: string): Promise<PackContents> {
  const label = `${name} (${origin})`;
  const files: Record<string, string> = {};
  let count = 0;
  const walk = async (rel: string): Promise<void> => {
    for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isSymbolicLink()) throw new PackError(label, `${relPath} is a symbolic link, which packs may not contain`);
      if (entry.isDirectory()) {
        await walk(relPath);
      } else if (entry.isFile()) {
        if (++count > MAX_FILES) throw new PackError(label, `it has more than ${MAX_FILES} files`);
        const full = path.join(dir, relPath);
        if ((await lstat(full)).size > MAX_FILE_BYTES) throw new PackError(label, `${relPath} is larger than 1 MiB`);
        files[relPath] = await readFile(full, 'utf8');
      }
    }
  };
  await walk('');
  return { name, origin, files };
}

/**
 * The pack to render: the repository's `.slipway/templates/<name>` when that directory exists,
 * else the built-in `templates/<name>`. The whole pack is taken from one place, never mixed.
 */
export async function loadPack(
  name: string,
  where: { repositoryDir?: string | undefined; builtinDir?: string } = {},
): Promise<PackContents> {
  if (!PACK_NAME_PATTERN.test(name)) throw new PackError(JSON.stringify(name), 'is not a valid pack name');
  if (where.repositoryDir) {
    const dir = path.join(where.repositoryDir, REPOSITORY_PACKS_DIR, name);
    if (await isDirectory(dir)) return readPackDirectory(dir, name, 'repository');
  }
  const dir = path.join(where.builtinDir ?? BUILTIN_TEMPLATES_DIR, name);
  if (!(await isDirectory(dir))) throw new PackError(name, 'no such pack in the repository or among the built-in packs');
  return readPackDirectory(dir, name, 'built-in');
}
