import type { GitRemote } from './credentials.ts';
import { GitError } from './errors.ts';
import type { GitLogger } from './git-runner.ts';
import { withLockedMirror } from './locked-mirror.ts';
import { parseLsTree } from './tree-check.ts';

export interface ReadFilesRequest {
  remote: GitRemote;
  branch: string;
  /** Repository-relative file paths; a path that is not a file on the branch is left out of the answer. */
  paths: readonly string[];
  /** More paths to read, once the first ones are read (a manifest names them), from the same head. */
  more?: (files: ReadonlyMap<string, Buffer>) => readonly string[];
  mirrorsDir: string;
  timeoutMs: number;
  maxFileBytes: number;
  log?: GitLogger;
}

/**
 * Some files of a branch's head, read through the publisher's cached blobless mirror (only these
 * blobs are fetched): the head (null when the branch does not exist) and each path that is a
 * regular file there. Throws GitError only.
 */
export async function readBranchFiles(req: ReadFilesRequest): Promise<{ head: string | null; files: Map<string, Buffer> }> {
  return withLockedMirror(req, 'reading', async (mirror) => {
    const head = (await mirror.remoteHeads([req.branch])).get(req.branch) ?? null;
    const files = new Map<string, Buffer>();
    if (!head) return { head, files };
    if ((await mirror.trackedHead(req.branch)) !== head) await mirror.fetch([req.branch]);
    const read = async (paths: readonly string[]) => {
      const wanted = [...new Set(paths)].filter((p) => !files.has(p));
      if (wanted.length === 0) return;
      const ls = await mirror.run(['ls-tree', '-z', '--full-tree', head, '--', ...wanted]);
      // Exactly the asked paths: a folder among them would make ls-tree list what is inside it too.
      const asked = new Set(wanted);
      const entries = parseLsTree(ls.stdout.toString('utf8')).filter((e) => asked.has(e.path) && e.type === 'blob' && (e.mode === '100644' || e.mode === '100755'));
      if (entries.length === 0) return;
      // One cat-file for all: the promisor mirror fetches the missing blobs in one go.
      const out = (await mirror.run(['cat-file', '--batch'], { input: entries.map((e) => `${e.id}\n`).join('') })).stdout;
      let at = 0;
      for (const e of entries) {
        const nl = out.indexOf(0x0a, at);
        const size = Number(out.subarray(at, nl).toString('latin1').split(' ')[2]);
        if (size > req.maxFileBytes) throw new GitError('unsafe_path', `${e.path} on ${req.branch} is larger than ${req.maxFileBytes} bytes`);
        files.set(e.path, out.subarray(nl + 1, nl + 1 + size));
        at = nl + 1 + size + 1;
      }
    };
    await read(req.paths);
    if (req.more) await read(req.more(files));
    return { head, files };
  });
}
