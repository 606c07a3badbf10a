/**
 * The one error type the git layer throws. `code` is stable (callers branch on it, the web page
 * shows a sentence for it); `message` has been scrubbed of anything credential-like before it
 * was built, so it is safe to log and to show.
 */
export const GIT_ERROR_CODES = [
  'auth_failed',
  'repo_not_found',
  'push_rejected',
  'branch_protected',
  'concurrent_update',
  'timeout',
  'invalid_branch',
  'unsafe_path',
  'git_failed',
] as const;
export type GitErrorCode = (typeof GIT_ERROR_CODES)[number];

/** Whether a retry of the same call may succeed: the job runner backs off on these only. */
const TRANSIENT: ReadonlySet<GitErrorCode> = new Set(['timeout', 'git_failed', 'concurrent_update']);

export class GitError extends Error {
  override readonly name = 'GitError';
  constructor(
    readonly code: GitErrorCode,
    message: string,
    /** Scrubbed stderr of the git command that failed, for the log; never the raw text. */
    readonly detail?: string,
  ) {
    super(message);
  }

  get transient(): boolean {
    return TRANSIENT.has(this.code);
  }
}

export function isGitError(err: unknown, code?: GitErrorCode): err is GitError {
  return err instanceof GitError && (code === undefined || err.code === code);
}
