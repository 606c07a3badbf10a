/**
 * Docker image tags CI pushes for a commit (docs/contracts.md, section 6), computed the way the generated workflow's
 * docker/metadata-action configuration does, so the local runner tags its images identically:
 *   main            → latest, sha-<7>, main
 *   module/products → sha-<7>, module-products
 * Pure; the workflow side lives in apps/server/src/pipeline/ci-workflow.ts.
 */

/** The branch whose images are also tagged `latest`. */
export const MAIN_BRANCH = 'main';

/** docker/metadata-action's default short SHA length (`type=sha` → `sha-<7>`). */
export const SHORT_SHA_LENGTH = 7;

/**
 * docker/metadata-action's `sanitizeTag`: each run of characters outside `[A-Za-z0-9._-]` becomes a
 * single `-` (`module/products` → `module-products`, `a//b` → `a-b`).
 */
export function sanitizeImageTag(value: string): string {
  return value.replace(/[^a-zA-Z0-9._-]+/g, '-');
}

/** First 7 characters of a commit id, as metadata-action's `type=sha,format=short`. */
export function shortSha(sha: string): string {
  if (!/^[0-9a-f]{7,64}$/i.test(sha)) throw new Error(`not a commit id: ${JSON.stringify(sha)}`);
  return sha.slice(0, SHORT_SHA_LENGTH);
}

/**
 * Tags for a push of `branch` at commit `sha`, in the spec's table order: `latest` (main only),
 * `sha-<7>`, then the sanitized branch name. `refs/heads/` is accepted and dropped. Duplicates
 * collapse (as metadata-action does), so a tag never appears twice.
 */
export function imageTags(branch: string, sha: string, opts: { mainBranch?: string } = {}): string[] {
  const name = branch.replace(/^refs\/heads\//, '');
  if (name === '') throw new Error('branch is empty');
  const tags = [`sha-${shortSha(sha)}`, sanitizeImageTag(name)];
  if (name === (opts.mainBranch ?? MAIN_BRANCH)) tags.unshift('latest');
  return [...new Set(tags)];
}

/**
 * Image name for a repository in a registry, lowercased as metadata-action does (registries refuse
 * upper case): `Acme/Backend` → `ghcr.io/acme/backend`.
 */
export function imageName(repository: string, registry = 'ghcr.io'): string {
  return `${registry}/${repository}`.toLowerCase();
}

/** Full references `<image>:<tag>` for each tag. */
export function imageRefs(image: string, tags: readonly string[]): string[] {
  return tags.map((tag) => `${image}:${tag}`);
}
