import { HttpErrorResponse } from '@angular/common/http';
import type { ConflictKind, ConflictResolution, FileChange, FileChangeStatus, FileConflict } from '@slipway/contracts';

/**
 * Pure helpers of the module update preview (docs/modules.md): the unified diff split into lines
 * with their numbers, the file tree of an application, the language of a path, the conflicts of a
 * 409, and the words the page uses for statuses, conflict kinds and resolutions.
 */

export type DiffLineKind = 'add' | 'del' | 'ctx' | 'hunk' | 'meta';

export interface DiffLine {
  kind: DiffLineKind;
  /** Line number in the branch's file (`-` side); null for added lines and headers. */
  oldNo: number | null;
  /** Line number in what the update commits (`+` side); null for removed lines and headers. */
  newNo: number | null;
  /** The line without its `+`/`-`/` ` prefix (headers as they are). */
  text: string;
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/** Splits a unified diff (`git diff` style) into lines; the `diff --git`, `---`, `+++`, `index` lines are `meta`. */
export function parseUnifiedDiff(diff: string): DiffLine[] {
  const out: DiffLine[] = [];
  let oldNo = 0;
  let newNo = 0;
  let inHunk = false;
  const lines = diff.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (const line of lines) {
    const h = HUNK.exec(line);
    if (h) {
      oldNo = Number(h[1]);
      newNo = Number(h[2]);
      inHunk = true;
      out.push({ kind: 'hunk', oldNo: null, newNo: null, text: line });
    } else if (!inHunk || line.startsWith('\\')) {
      // Headers before the first hunk, and "\ No newline at end of file".
      out.push({ kind: 'meta', oldNo: null, newNo: null, text: line });
    } else if (line.startsWith('+')) {
      out.push({ kind: 'add', oldNo: null, newNo: newNo++, text: line.slice(1) });
    } else if (line.startsWith('-')) {
      out.push({ kind: 'del', oldNo: oldNo++, newNo: null, text: line.slice(1) });
    } else if (line.startsWith('diff --git')) {
      inHunk = false;
      out.push({ kind: 'meta', oldNo: null, newNo: null, text: line });
    } else {
      out.push({ kind: 'ctx', oldNo: oldNo++, newNo: newNo++, text: line.slice(1) });
    }
  }
  return out;
}

/** The highlight.js language of a generated file, by its extension; null: shown as plain text. */
export function languageOf(path: string): string | null {
  const ext = /\.([a-z0-9]+)(?:\.eta)?$/i.exec(path)?.[1]?.toLowerCase();
  switch (ext) {
    case 'ts':
    case 'mts':
    case 'cts':
    case 'js':
    case 'mjs':
      return 'typescript';
    case 'php':
      return 'php';
    case 'json':
      return 'json';
    case 'yaml':
    case 'yml':
      return 'yaml';
    case 'html':
    case 'xml':
      return 'xml';
    case 'css':
    case 'scss':
      return 'css';
    default:
      return null;
  }
}

export type TreeRow =
  | { kind: 'dir'; key: string; name: string; depth: number }
  | { kind: 'file'; key: string; name: string; depth: number; file: FileChange };

/**
 * One application's files as a tree: folders first, then files, each level by name, with their
 * depth. A folder holding only one folder is joined with it (`src/modules/products/`).
 */
export function fileTree(files: readonly FileChange[]): TreeRow[] {
  interface Dir {
    dirs: Map<string, Dir>;
    files: FileChange[];
  }
  const root: Dir = { dirs: new Map(), files: [] };
  for (const file of files) {
    const parts = file.path.split('/');
    let dir = root;
    for (const p of parts.slice(0, -1)) {
      let next = dir.dirs.get(p);
      if (!next) dir.dirs.set(p, (next = { dirs: new Map(), files: [] }));
      dir = next;
    }
    dir.files.push(file);
  }
  const rows: TreeRow[] = [];
  const walk = (dir: Dir, prefix: string, depth: number) => {
    for (const name of [...dir.dirs.keys()].sort()) {
      let sub = dir.dirs.get(name)!;
      let label = name;
      while (sub.files.length === 0 && sub.dirs.size === 1) {
        const [only, inner] = [...sub.dirs.entries()][0]!;
        label += '/' + only;
        sub = inner;
      }
      rows.push({ kind: 'dir', key: prefix + label + '/', name: label + '/', depth });
      walk(sub, prefix + label + '/', depth + 1);
    }
    for (const file of [...dir.files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      rows.push({ kind: 'file', key: file.path, name: file.path.slice(prefix.length), depth, file });
    }
  };
  walk(root, '', 0);
  return rows;
}

export const STATUS_LABELS: Record<FileChangeStatus, string> = {
  created: 'created',
  changed: 'changed',
  unchanged: 'unchanged',
  deleted: 'deleted',
  conflict: 'conflict',
};

export const CONFLICT_KIND_TEXT: Record<ConflictKind, string> = {
  content: 'your edits and the update change the same lines',
  edited_removed: 'the module no longer generates this file, but it was edited on the branch',
  removed_changed: 'the file was deleted on the branch, and the update changes it',
  untracked: 'the branch has a file Slipway did not generate at this path',
};

/** The four answers to a conflict, in the order the page offers them, each with its one line. */
export const RESOLUTION_CHOICES: readonly { value: ConflictResolution; label: string; explain: string }[] = [
  { value: 'cancel', label: 'Cancel', explain: 'Save nothing and push nothing; the module and its branches stay as they are.' },
  {
    value: 'theirs',
    label: 'Keep theirs (the new render)',
    explain: "Where your edits and the update overlap, the update's lines win; your edits elsewhere in the file stay.",
  },
  {
    value: 'ours',
    label: "Keep ours (the branch's files)",
    explain: "Where your edits and the update overlap, the branch's lines stay; the update's other changes go in.",
  },
  {
    value: 'markers',
    label: 'Commit with conflict markers',
    explain: 'Conflicting files are committed with <<<<<<< / >>>>>>> markers on the module branch, for you to resolve there.',
  },
];

export function resolutionLabel(r: ConflictResolution): string {
  return RESOLUTION_CHOICES.find((c) => c.value === r)!.label;
}

/** The conflicting files of an update's 409 (`ModuleConflictError`); null for any other failure. */
export function conflictsOf(err: unknown): FileConflict[] | null {
  if (!(err instanceof HttpErrorResponse) || err.status !== 409) return null;
  const body = err.error as { conflicts?: unknown } | null;
  if (!body || !Array.isArray(body.conflicts)) return null;
  return body.conflicts.filter(
    (c): c is FileConflict => typeof c === 'object' && c !== null && typeof c.application === 'string' && typeof c.path === 'string' && typeof c.kind === 'string',
  );
}

/** The conflicts a preview reports, as the 409 would list them. */
export function previewConflicts(applications: readonly { application: string; files: readonly FileChange[] }[]): FileConflict[] {
  return applications.flatMap((a) =>
    a.files.filter((f) => f.status === 'conflict').map((f) => ({ application: a.application, path: f.path, kind: f.conflict ?? 'content' })),
  );
}
