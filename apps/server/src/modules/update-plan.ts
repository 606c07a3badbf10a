import type { ConflictKind, ConflictResolution, FileChange, FileChangeStatus, GeneratedFile } from '@slipway/contracts';
import { mergeFile, unifiedDiff } from '../git/index.ts';
import { sha256, type GenerationManifest } from './generation-manifest.ts';

/**
 * The 3-way merge of an update, per file (docs/modules.md): base = the previous render (re-rendered
 * from the branch's manifest), ours = the file on the branch (perhaps edited by hand), theirs = the
 * new render. `git merge-file` does the merging.
 */
export interface FilePlan {
  path: string;
  status: FileChangeStatus;
  edited: boolean;
  conflict: ConflictKind | null;
  /** The branch's file; null when absent. */
  ours: string | null;
  /** The new render's; null when the module no longer generates it. */
  theirs: string | null;
  /** What is committed without a conflict (null: absent); for a content conflict, the file with markers. */
  result: string | null;
  /** A content conflict resolved hunk by hunk (`git merge-file --ours` / `--theirs`): the other edits of both sides kept. */
  favoring?: { ours: string; theirs: string };
}

export interface PlanInput {
  /** The new render. */
  theirs: readonly GeneratedFile[];
  /** The previous render, re-rendered from the manifest; null when the branch has no manifest. */
  base: readonly GeneratedFile[] | null;
  manifest: GenerationManifest | null;
  /** The branch's files at the new render's paths and the manifest's. */
  branch: ReadonlyMap<string, Buffer>;
}

const LABELS = { ours: 'branch (your edits)', base: 'previous render', theirs: 'update (new render)' };

export async function planFiles(p: PlanInput): Promise<FilePlan[]> {
  const theirs = new Map(p.theirs.map((f) => [f.path, f.content]));
  const base = new Map((p.base ?? []).map((f) => [f.path, f.content]));
  const recorded = new Map((p.manifest?.files ?? []).map((f) => [f.path, f.sha256]));
  const removed = [...recorded.keys()].filter((path) => !theirs.has(path)).sort();
  const out: FilePlan[] = [];
  for (const path of [...theirs.keys(), ...removed]) {
    const t = theirs.get(path) ?? null;
    const o = p.branch.get(path)?.toString('utf8') ?? null;
    const b = base.get(path) ?? null;
    const hash = recorded.get(path);
    const edited = o !== null && p.manifest !== null && (hash === undefined || sha256(o) !== hash);
    const plan = (status: FileChangeStatus, result: string | null, conflict: ConflictKind | null = null): FilePlan => ({ path, status, edited, conflict, ours: o, theirs: t, result });
    if (t === null) {
      if (o === null) continue; // gone from the branch and from the module
      out.push(edited ? plan('conflict', o, 'edited_removed') : plan('deleted', null));
    } else if (o === null) {
      // Generated before and deleted on the branch since: it stays deleted unless the update changes it.
      if (hash !== undefined) out.push(b === t ? plan('unchanged', null) : plan('conflict', null, 'removed_changed'));
      else out.push(plan('created', t));
    } else if (o === t) {
      out.push(plan('unchanged', o));
    } else if (!p.manifest || !edited) {
      // Nobody edited it (or no manifest says what was generated: the render replaces it, as before manifests).
      out.push(plan('changed', t));
    } else if (hash !== undefined && b === t) {
      out.push(plan('unchanged', o)); // edited, and the update does not touch it: it stays as the person left it
    } else {
      const baseText = hash !== undefined ? (b ?? '') : '';
      const m = await mergeFile(o, baseText, t, LABELS);
      if (m.conflicts > 0) {
        const [ours, theirs] = await Promise.all([mergeFile(o, baseText, t, LABELS, 'ours'), mergeFile(o, baseText, t, LABELS, 'theirs')]);
        out.push({ ...plan('conflict', m.content, hash !== undefined ? 'content' : 'untracked'), favoring: { ours: ours.content, theirs: theirs.content } });
      } else out.push(plan(m.content === o ? 'unchanged' : 'changed', m.content));
    }
  }
  return out;
}

/** What a file becomes under a resolution: its content, or null for absent. `cancel` is the caller's to refuse before. */
export function resolved(f: FilePlan, how: ConflictResolution): string | null {
  if (f.status !== 'conflict') return f.result;
  // A content conflict: each conflicting part takes that side's lines; the rest of both sides' changes stay.
  if (f.favoring && (how === 'ours' || how === 'theirs')) return f.favoring[how];
  if (how === 'markers' && f.favoring) return f.result;
  if (how === 'theirs') return f.theirs;
  return f.ours; // ours; and markers where no markers can say it (a deleted or removed file): the branch's version stays
}

/** The files to write and to delete on the branch for a plan. */
export function changesOf(plan: readonly FilePlan[], how: ConflictResolution): { write: GeneratedFile[]; deletes: string[] } {
  const write: GeneratedFile[] = [];
  const deletes: string[] = [];
  for (const f of plan) {
    const r = resolved(f, how);
    if (r === null) {
      if (f.ours !== null) deletes.push(f.path);
    } else if (r !== f.ours) write.push({ path: f.path, content: r });
  }
  return { write, deletes };
}

/** A plan as the preview shows it: each file's status and its diff against the branch. */
export async function describePlan(plan: readonly FilePlan[]): Promise<FileChange[]> {
  return Promise.all(
    plan.map(async (f) => {
      const after = f.status === 'conflict' ? (f.conflict === 'removed_changed' ? f.theirs : f.conflict === 'edited_removed' ? null : f.result) : f.status === 'unchanged' ? f.ours : f.result;
      const { diff, truncated } = await unifiedDiff(f.path, f.ours, after);
      return { path: f.path, status: f.status, edited: f.edited, conflict: f.conflict, diff, truncated };
    }),
  );
}
