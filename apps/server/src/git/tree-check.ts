/**
 * What the base tree already has at the paths a publish writes, and where writing them would do
 * more than add or replace a file: a path that is a directory, a submodule or a symlink in the
 * repository, or a file where the new path needs a directory (fast-import would silently replace
 * whole subtrees). Pure: works on `git ls-tree -z` output for the paths and their parents.
 */
export interface TreeEntry {
  mode: string;
  type: string;
  path: string;
}

export function parseLsTree(z: string): TreeEntry[] {
  const out: TreeEntry[] = [];
  for (const rec of z.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type] = rec.slice(0, tab).split(' ');
    if (mode && type) out.push({ mode, type, path: rec.slice(tab + 1) });
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

/** A conflict for each path that cannot be written as a plain file, and the mode each existing file keeps. */
export function inspectTargets(paths: readonly string[], entries: readonly TreeEntry[]): { conflicts: string[]; modes: Map<string, '100644' | '100755'> } {
  const at = new Map(entries.map((e) => [e.path, e]));
  const conflicts: string[] = [];
  const modes = new Map<string, '100644' | '100755'>();
  const wanted = new Set(paths);
  for (const p of paths) {
    const e = at.get(p);
    if (e) {
      if (e.type === 'tree') conflicts.push(`${p} is a directory in the repository`);
      else if (e.mode === '160000') conflicts.push(`${p} is a submodule in the repository`);
      else if (e.mode === '120000') conflicts.push(`${p} is a symbolic link in the repository`);
      else modes.set(p, e.mode === '100755' ? '100755' : '100644');
    }
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
  return { conflicts, modes };
}
