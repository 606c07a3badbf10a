import { isValidBranchName } from '@slipway/contracts';
import { safeOutputPath, UnsafeOutputPathError } from '../modules/templates/output-path.ts';
import { pushError } from './classify.ts';
import { checkSignature, commitStream, type Signature, type StreamFile } from './commit-stream.ts';
import type { GitRemote } from './credentials.ts';
import { GitError } from './errors.ts';
import type { GitLogger } from './git-runner.ts';
import { withLockedMirror } from './locked-mirror.ts';
import type { Mirror } from './mirror.ts';
import { readRef } from './refs.ts';
import { inspectTargets, parseLsTree, pathsToInspect } from './tree-check.ts';

export interface PublishFile {
  path: string;
  content: string | Buffer;
}

export interface PublishRequest {
  remote: GitRemote;
  baseBranch: string;
  /** The module branch, e.g. `module/products`. */
  branch: string;
  files: readonly PublishFile[];
  /** Files to delete from the branch (repository-relative); a path that is not a file there is skipped. */
  deletes?: readonly string[];
  message: string;
  author: Signature;
  committer?: Signature;
  /**
   * Lease on the module branch: a sha means "only if the branch is still there", null means "only
   * if the branch does not exist yet", undefined means "whatever it is when we look".
   */
  expectedHead?: string | null;
  /** Cache of blobless mirrors, one per remote (e.g. `<dataDir>/git-mirrors`). */
  mirrorsDir: string;
  /** Budget for the whole publish, lock wait and every network round trip included. */
  timeoutMs: number;
  log?: GitLogger;
  /** The git executable (tests pass a wrapper that records argv). */
  git?: string;
  /** Commit time; now when absent. */
  date?: Date;
}

export interface PublishResult {
  /** Head of the module branch after the publish. */
  commit: string;
  /** Head before; null when the branch was created. */
  previous: string | null;
  created: boolean;
  /** Files whose content differs from the parent commit's; 0 when nothing had to change. */
  changedFiles: number;
  /** The URL published to, without credentials (for logs and for push notification). */
  url: string;
}

const SCRATCH_REF = 'refs/slipway/publish';

/**
 * Commits `files` on `branch` — cut from `baseBranch`, or on top of the branch when it exists —
 * and pushes it, with plumbing over a cached blobless mirror: no checkout, no full clone.
 * Idempotent: when the branch already holds exactly these files, no commit is made and its head
 * is returned, so a job retried after a crash does not stack commits. Throws GitError only.
 */
export async function publishModuleBranch(req: PublishRequest): Promise<PublishResult> {
  checkBranch(req.baseBranch, 'base branch');
  checkBranch(req.branch, 'branch');
  if (req.branch === req.baseBranch) throw new GitError('invalid_branch', `the module branch must differ from the base branch (${req.baseBranch})`);
  for (const [s, role] of [[req.author, 'author'], [req.committer, 'committer']] as const) {
    const problem = s && checkSignature(s, role);
    if (problem) throw new GitError('git_failed', problem);
  }
  if (req.expectedHead && !/^[0-9a-f]{40}$/.test(req.expectedHead)) throw new GitError('git_failed', 'expectedHead must be a full commit id');
  const files = normaliseFiles(req.files);
  const deletes = normaliseDeletes(req.deletes ?? [], files);

  // Anything else than a GitError (a file system error) still leaves as a GitError with a scrubbed message.
  return withLockedMirror(req, 'publishing', async (mirror, access) => {
    // git's own verdict on the name, after ours (which gives the clearer message), beside the first round trip.
    const [rf, heads] = await Promise.all([
      mirror.run(['check-ref-format', `refs/heads/${req.branch}`], { okCodes: [1] }),
      mirror.remoteHeads([req.baseBranch, req.branch]),
    ]);
    if (rf.code !== 0) throw new GitError('invalid_branch', `${JSON.stringify(req.branch)} is not a valid branch name`);
    return await publishLocked(mirror, req, files, deletes, access.url, heads);
  });
}

async function publishLocked(mirror: Mirror, req: PublishRequest, files: PublishFile[], deletes: string[], url: string, heads: Map<string, string>): Promise<PublishResult> {
  const { branch, baseBranch } = req;
  const branchHead = heads.get(branch) ?? null;
  const parentBranch = branchHead ? branch : baseBranch;
  const parent = branchHead ?? heads.get(baseBranch);
  if (!parent) throw new GitError('git_failed', `the base branch ${baseBranch} does not exist on ${url}`);

  // Fetch only when the mirror has not seen this head yet (a warm mirror right after our own push skips it).
  if ((await mirror.trackedHead(parentBranch)) !== parent) await mirror.fetch([parentBranch]);

  // What the parent has at these paths: conflicts, modes to keep, and which files change (by blob id).
  const paths = files.map((f) => f.path);
  const ls = await mirror.run(['ls-tree', '-z', '--full-tree', parent, '--', ...pathsToInspect(paths), ...deletes]);
  const tree = parseLsTree(ls.stdout.toString('utf8'));
  const contents = new Map(files.map((f) => [f.path, f.content]));
  const { conflicts, modes, changed } = inspectTargets(paths, tree, contents);
  if (conflicts.length) throw new GitError('unsafe_path', `cannot write the generated files: ${conflicts.join('; ')}`);
  // Only files go: a path that is a folder, a link or absent is left as it is.
  const removed = deletes.filter((d) => tree.some((e) => e.path === d && e.type === 'blob' && e.mode !== '120000'));

  if (branchHead && changed.length === 0 && removed.length === 0) {
    // Already published (by us before a crash, or by anyone): nothing to commit, nothing to push.
    return { commit: branchHead, previous: branchHead, created: false, changedFiles: 0, url };
  }
  if (req.expectedHead !== undefined && req.expectedHead !== branchHead) {
    throw new GitError(
      'concurrent_update',
      `branch ${branch} is at ${branchHead ?? '(absent)'} on the remote, not at the expected ${req.expectedHead ?? '(absent)'}: someone else updated it`,
    );
  }

  let target = parent; // a new branch whose files equal the base's points at the base head: no empty commit
  if (changed.length > 0 || removed.length > 0) {
    const streamFiles: StreamFile[] = files.filter((f) => changed.includes(f.path)).map((f) => ({ ...f, mode: modes.get(f.path) ?? '100644' }));
    const time = Math.floor((req.date ?? new Date()).getTime() / 1000);
    await mirror.run(['fast-import', '--quiet', '--force', '--done'], {
      input: commitStream({ ref: SCRATCH_REF, parent, files: streamFiles, deletes: removed, message: req.message, author: req.author, committer: req.committer, time }),
    });
    target = (await readRef(mirror.dir, SCRATCH_REF)) ?? '';
  }
  // Never push something that is not a commit id: an empty source would delete the branch.
  if (!/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(target)) throw new GitError('git_failed', 'fast-import did not produce a commit');
  const push = await mirror.run(
    ['push', '--porcelain', '--no-verify', `--force-with-lease=refs/heads/${branch}:${branchHead ?? ''}`, 'origin', `${target}:refs/heads/${branch}`],
    { okCodes: [1, 128] },
  );
  if (push.code !== 0) throw pushError(branch, push.stdout.toString('utf8'), push.stderr);
  return { commit: target, previous: branchHead, created: !branchHead, changedFiles: changed.length + removed.length, url };
}

function checkBranch(name: string, role: string): void {
  if (!isValidBranchName(name)) throw new GitError('invalid_branch', `${JSON.stringify(name)} is not a valid ${role} name`);
}

/** Paths to delete: checked as written paths are, and none of them also written. */
function normaliseDeletes(deletes: readonly string[], files: readonly PublishFile[]): string[] {
  const written = new Set(files.map((f) => f.path));
  return [...new Set(deletes)].map((d) => {
    let path: string;
    try {
      path = safeOutputPath(d, 'publish');
    } catch (err) {
      if (err instanceof UnsafeOutputPathError) throw new GitError('unsafe_path', `refusing to delete ${JSON.stringify(d)}: ${err.message.replace(/^.*?: /, '')}`);
      throw err;
    }
    if (written.has(path)) throw new GitError('unsafe_path', `${path} is both written and deleted`);
    return path;
  });
}

/** Repository-relative, normalised, inside the repository and not in .git; each path once. */
function normaliseFiles(files: readonly PublishFile[]): PublishFile[] {
  if (files.length === 0) throw new GitError('unsafe_path', 'nothing to publish: no files');
  const seen = new Set<string>();
  return files.map((f) => {
    let path: string;
    try {
      path = safeOutputPath(f.path, 'publish');
    } catch (err) {
      if (err instanceof UnsafeOutputPathError) throw new GitError('unsafe_path', `refusing to write ${JSON.stringify(f.path)}: ${err.message.replace(/^.*?: /, '')}`);
      throw err;
    }
    if (seen.has(path)) throw new GitError('unsafe_path', `${path} is listed twice`);
    seen.add(path);
    return { path, content: f.content };
  });
}
