import { mkdir } from 'node:fs/promises';
import { remoteAccess, type GitRemote } from './credentials.ts';
import { GitError } from './errors.ts';
import type { GitLogger } from './git-runner.ts';
import { withLock } from './lock.ts';
import { Mirror } from './mirror.ts';
import { makeScrubber } from './scrub.ts';
import { parseLsTree } from './tree-check.ts';

export interface ReadFolderRequest {
  remote: GitRemote;
  branch: string;
  /** Repository-relative folder, e.g. `.slipway/templates/demo-api`. */
  folder: string;
  mirrorsDir: string;
  timeoutMs: number;
  /** Refused beyond these: the folder is outside input. */
  maxFiles: number;
  maxFileBytes: number;
  log?: GitLogger;
}

export interface FolderFile {
  /** Relative to the folder. */
  path: string;
  mode: string;
  content: Buffer;
}

/**
 * The files under a folder of a branch, read through the same cached blobless mirror the publisher
 * uses (only that folder's blobs are fetched, lazily): no clone, no checkout, credentials as for a
 * publish. Undefined when the branch or the folder does not exist. Throws GitError.
 */
export async function readBranchFolder(req: ReadFolderRequest): Promise<FolderFile[] | undefined> {
  const deadline = Date.now() + req.timeoutMs;
  const access = remoteAccess(req.remote);
  const scrub = makeScrubber(access.secrets);
  const mirror = new Mirror({ mirrorsDir: req.mirrorsDir, access, scrub, deadline, timeoutMs: req.timeoutMs, log: req.log });
  const prefix = `${req.folder.replace(/\/+$/, '')}/`;
  await mkdir(req.mirrorsDir, { recursive: true });
  return withLock(mirror.lockPath, deadline, async () => {
    await mirror.ensure();
    const head = (await mirror.remoteHeads([req.branch])).get(req.branch);
    if (!head) return undefined;
    if ((await mirror.trackedHead(req.branch)) !== head) await mirror.fetch([req.branch]);
    const ls = await mirror.run(['ls-tree', '-r', '-z', '--full-tree', head, '--', prefix]);
    const entries = parseLsTree(ls.stdout.toString('utf8'));
    if (entries.length === 0) return undefined;
    if (entries.length > req.maxFiles) throw new GitError('unsafe_path', `${req.folder} has more than ${req.maxFiles} files`);
    for (const e of entries) {
      if (e.mode === '120000' || e.type !== 'blob') throw new GitError('unsafe_path', `${e.path} is a ${e.mode === '120000' ? 'symbolic link' : e.type}, not a file`);
    }
    // One cat-file for all: the promisor mirror fetches the missing blobs in one go.
    const out = (await mirror.run(['cat-file', '--batch'], { input: entries.map((e) => `${e.id}\n`).join('') })).stdout;
    const files: FolderFile[] = [];
    let at = 0;
    for (const e of entries) {
      const nl = out.indexOf(0x0a, at);
      const size = Number(out.subarray(at, nl).toString('latin1').split(' ')[2]);
      if (size > req.maxFileBytes) throw new GitError('unsafe_path', `${e.path} is larger than ${req.maxFileBytes} bytes`);
      files.push({ path: e.path.slice(prefix.length), mode: e.mode, content: out.subarray(nl + 1, nl + 1 + size) });
      at = nl + 1 + size + 1;
    }
    return files;
  });
}
