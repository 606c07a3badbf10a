import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

/**
 * The commit last handed to Dokploy per application and branch, kept by the local runner in its
 * work folder: the next deploy lists the paths changed since it (Dokploy's watch paths). A missing
 * or unreadable record only widens the list (see pushed-commit.ts), so a plain file will do.
 */
export class DeployedCommits {
  constructor(private readonly dir: string) {}

  private file(app: string, branch: string): string {
    return join(this.dir, `${app}--${branch.replace(/[^A-Za-z0-9._-]+/g, '-')}`);
  }

  async get(app: string, branch: string): Promise<string | undefined> {
    try {
      const sha = (await readFile(this.file(app, branch), 'utf8')).trim();
      return SHA.test(sha) ? sha : undefined;
    } catch {
      return undefined;
    }
  }

  /** Written whole then renamed: a crash leaves the old record or the new one. */
  async set(app: string, branch: string, commit: string): Promise<void> {
    if (!SHA.test(commit)) return;
    await mkdir(this.dir, { recursive: true });
    const target = this.file(app, branch);
    const tmp = `${target}.${process.pid}.tmp`;
    await writeFile(tmp, `${commit}\n`);
    await rename(tmp, target);
  }
}
