import { createHash } from 'node:crypto';

/**
 * What the base tree already has at the paths a publish writes, and where writing them would do
 * more than add or replace a file: a path that is a directory, a submodule or a symlink in the
 * repository, or a file where the new path needs a directory (fast-import would silently replace
 * whole subtrees). Pure: works on `git ls-tree -z` output for the paths and their parents.
 */
export interface TreeEntry {
  mode: string;
  type: string;
  id: string;
  path: string;
}

export function parseLsTree(z: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  for (const rec of z.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, id] = rec.slice(0, tab).split(' ');
    if (mode && type && id) out.push({ mode, type, id, path: rec.slice(tab + 1) });
  }
  return out;
}

/** The files' paths and every directory above them: what to ask `ls-tree` about. */
export function pathsToInspect(paths: readonly string[]): string[] {
  const all = new Set<string>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i <= parts.length; i++) all.add(parts.slice(0, i).join('/'));
  }
  return [...all];
}

/** The id git gives a blob with this content (sha1 or sha256, by the repository's id length). */
export function blobId(content: string | Buffer, idLength = 40): string {
  const body = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  return createHash(idLength === 64 ? 'sha256' : 'sha1')
    .update(`blob ${body.length}\0`)
    .update(body)
    .digest('hex');
}

/**
 * A conflict for each path that cannot be written as a plain file, the mode each existing file
 * keeps, and which paths would change at all (content compared by blob id: no blob is read).
 */
export function inspectTargets(
  paths: readonly string[],
  entries: readonly TreeEntry[],
  contents?: ReadonlyMap<string, string | Buffer>,
): { conflicts: string[]; modes: Map<string, '100644' | '100755'>; changed: string[] } {
  const at = new Map(entries.map((e) => [e.path, e]));
  const conflicts: string[] = [];
  const modes = new Map<string, '100644' | '100755'>();
  const changed: string[] = [];
  const wanted = new Set(paths);
  for (const p of paths) {
    const e = at.get(p);
    if (e) {
      if (e.type === 'tree') conflicts.push(`${p} is a directory in the repository`);
      else if (e.mode === '160000') conflicts.push(`${p} is a submodule in the repository`);
      else if (e.mode === '120000') conflicts.push(`${p} is a symbolic link in the repository`);
      else modes.set(p, e.mode === '100755' ? '100755' : '100644');
    }
    const content = contents?.get(p);
    if (!e || e.type !== 'blob' || (content !== undefined && blobId(content, e.id.length) !== e.id)) changed.push(p);
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      const d = at.get(dir);
      if ((d && d.type !== 'tree') || wanted.has(dir)) {
        conflicts.push(`${p} needs ${dir} to be a directory, but it is a ${wanted.has(dir) ? 'generated file' : d?.mode === '120000' ? 'symbolic link' : 'file'}`);
        break;
      }
    }
  }
  return { conflicts, modes, changed };
}
