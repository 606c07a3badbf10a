import path from 'node:path';

/** A template produced a path outside the repository, or otherwise unusable; names the template. */
export class UnsafeOutputPathError extends Error {
  constructor(
    readonly template: string,
    readonly outputPath: string,
    reason: string,
  ) {
    super(`template ${template} produced the path ${JSON.stringify(outputPath)}: ${reason}`);
    this.name = 'UnsafeOutputPathError';
  }
}

/**
 * The normalised, repository-relative form of a rendered output path, or an error naming the
 * template. Generated files must land inside the repository and never in `.git/`.
 */
export function safeOutputPath(rendered: string, template: string): string {
  const fail = (reason: string) => {
    throw new UnsafeOutputPathError(template, rendered, reason);
  };
  const raw = rendered.trim();
  if (raw === '') fail('the path is empty');
  if (/[\x00-\x1f\x7f]/.test(raw)) fail('the path contains control characters');
  // A backslash is a separator on Windows checkouts: refuse it rather than guess.
  if (raw.includes('\\')) fail('the path contains a backslash');
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) fail('the path is absolute');
  if (raw.split('/').includes('..')) fail('the path climbs out with ..');
  const normal = path.posix.normalize(raw);
  if (normal === '.' || normal.endsWith('/')) fail('the path names a directory, not a file');
  // Case-insensitive: .GIT is .git on macOS and Windows checkouts.
  if (normal.split('/').some((part) => part.toLowerCase() === '.git')) fail('the path is inside .git');
  return normal;
}
