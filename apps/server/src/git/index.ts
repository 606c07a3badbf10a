/** The git layer: publishing module branches, and hosting repositories over smart HTTP. */
export { publishModuleBranch, type PublishRequest, type PublishResult, type PublishFile } from './publish.ts';
export { deleteModuleBranch, type DeleteBranchRequest } from './delete-branch.ts';
export { GitError, GIT_ERROR_CODES, isGitError, type GitErrorCode } from './errors.ts';
export type { GitRemote } from './credentials.ts';
export type { GitLogger } from './git-runner.ts';
export type { Signature } from './commit-stream.ts';
export { gitHttpRoutes, type GitHttpOptions } from './git-http.routes.ts';
export { RepoPermissions, type RepoPermissionsDeps } from './repo-permissions.ts';
export type { RepoRole, RepoRules } from './push-policy.ts';
export { ensureBareRepo, localRepoPath, APP_REPO_PATTERN, type EnsureRepoOptions } from './local-repos.ts';
export { PushEvents, hostedAppOf, ZERO_SHA, type PushEvent, type PushListener, type RefUpdate } from './push-events.ts';
export { mirrorDirFor } from './mirror.ts';
export { readBranchFolder, type ReadFolderRequest, type FolderFile } from './read-folder.ts';
export { readBranchFiles, type ReadFilesRequest } from './read-files.ts';
export { mergeFile, unifiedDiff, type MergeLabels } from './merge-file.ts';
