import { GitError, type GitErrorCode } from './errors.ts';
import { lastLines } from './git-runner.ts';

/**
 * Reads git's (C-locale, scrubbed) stderr and says what went wrong, in the GitError codes. Pure:
 * the patterns are what git 2.3x prints and what GitHub, GitLab, Gitea and `git http-backend`
 * send back, each checked in tests.
 */
const AUTH = [
  /could not read (username|password)/i,
  /terminal prompts disabled/i,
  /authentication failed/i,
  /returned error: (401|403)\b/i,
  /permission denied \(publickey/i,
  /HTTP Basic: Access denied/i,
  /invalid username or (password|token)/i,
  /Host key verification failed/i,
];
const NOT_FOUND = [
  /repository '.*' not found/i,
  /repository not found/i,
  /does not appear to be a git repository/i,
  /returned error: 404\b/i,
  /not a git repository/i,
  /no such repository/i,
  /project you were looking for could not be found/i,
];
const PROTECTED = [/protected branch/i, /\bGH006\b/, /\bGH013\b/, /not allowed to (push|force push|update)/i, /branch is protected/i];

export function classifyStderr(stderr: string): GitErrorCode {
  if (AUTH.some((re) => re.test(stderr))) return 'auth_failed';
  if (NOT_FOUND.some((re) => re.test(stderr))) return 'repo_not_found';
  return 'git_failed';
}

/** Re-labels a failed network command (ls-remote, fetch) by what its stderr says. */
export function networkError(err: unknown, what: string, url: string): unknown {
  if (!(err instanceof GitError) || err.code !== 'git_failed') return err;
  const stderr = err.detail ?? '';
  const code = classifyStderr(stderr);
  const message =
    code === 'auth_failed'
      ? `authentication to ${url} failed: check the token or key configured for this application`
      : code === 'repo_not_found'
        ? `repository ${url} not found (or the credentials cannot see it)`
        : `${what} ${url} failed: ${lastLines(stderr)}`;
  return new GitError(code, message, stderr);
}

export interface PushRefStatus {
  flag: string;
  ref: string;
  summary: string;
  reason?: string;
}

/** `git push --porcelain` lines: `<flag>\t<src>:<dst>\t<summary> (<reason>)`. */
export function parsePushPorcelain(stdout: string): PushRefStatus[] {
  const out: PushRefStatus[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^([ +\-*!=])\t([^\t]*):([^\t]+)\t(.*)$/.exec(line);
    if (!m) continue;
    const rest = m[4] ?? '';
    const r = /^(.*?)(?: \((.*)\))?$/.exec(rest);
    out.push({ flag: m[1] ?? '', ref: m[3] ?? '', summary: r?.[1] ?? rest, reason: r?.[2] });
  }
  return out;
}

/** The `remote: …` lines a server sent: hooks and forges explain refusals there. */
export function remoteMessages(stderr: string, max = 8): string {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('remote:'))
    .map((l) => l.slice(7).trim())
    .filter((l) => l && !/^(Resolving deltas|Counting objects|Compressing objects|Total \d|Processed \d|Writing objects)/.test(l))
    .slice(0, max)
    .join(' / ');
}

/** A failed push, in GitError terms: lease lost, protected branch, hook or policy refusal. */
export function pushError(branch: string, stdout: string, stderr: string): GitError {
  const status = parsePushPorcelain(stdout).find((s) => s.ref === `refs/heads/${branch}`);
  const said = remoteMessages(stderr);
  const reason = status?.reason ?? '';
  const why = [reason, said].filter(Boolean).join(': ');
  if (/stale info|fetch first|non-fast-forward|cannot lock ref|incorrect old value|failed to update ref/i.test(reason)) {
    return new GitError('concurrent_update', `branch ${branch} moved on the remote while publishing (${reason}); publish again to build on the new head`, stderr);
  }
  if (PROTECTED.some((re) => re.test(reason) || re.test(said))) {
    return new GitError('branch_protected', `the remote refused to update the protected branch ${branch}: ${why || 'protected branch'}`, stderr);
  }
  if (status?.flag === '!' || /\[remote rejected\]|\[rejected\]/.test(stdout) || said) {
    return new GitError('push_rejected', `the remote rejected the push of ${branch}: ${why || lastLines(stderr)}`, stderr);
  }
  const code = classifyStderr(stderr);
  if (code === 'auth_failed') return new GitError(code, `authentication failed while pushing ${branch}: check the token or key, and that it may write`, stderr);
  if (code === 'repo_not_found') return new GitError(code, `repository not found while pushing ${branch}`, stderr);
  return new GitError('git_failed', `pushing ${branch} failed: ${lastLines(stderr)}`, stderr);
}
