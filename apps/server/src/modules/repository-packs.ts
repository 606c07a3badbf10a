import { join } from 'node:path';
import type { ApplicationConfig } from '../config/config.ts';
import { readBranchFolder } from '../git/index.ts';
import { PACK_NAME_PATTERN, PackError, renderPackIsolated, REPOSITORY_PACKS_DIR, type PackContents, type PackSandbox } from './templates/index.ts';

/** Reads template packs that target repositories carry in `.slipway/templates/<pack>`. */
export interface RepositoryPackSource {
  /** The pack on `ref` of the application's repository, or undefined when it has none. */
  load(app: ApplicationConfig, pack: string, ref: string): Promise<PackContents | undefined>;
}

/**
 * Packs read from the application's repository — hosted here or remote alike — through the
 * publisher's cached blobless mirror: only the pack's own files are fetched. Bounded as
 * pack-loader bounds built-in packs, since a repository's pack is outside input. Its templates are
 * code from whoever can push there: they render only in `sandbox` (isolated-render.ts).
 */
export class GitRepositoryPacks implements RepositoryPackSource {
  constructor(private readonly o: { dataDir: string; env: Record<string, string | undefined>; sandbox: PackSandbox; timeoutMs?: number }) {}

  async load(app: ApplicationConfig, pack: string, ref: string): Promise<PackContents | undefined> {
    if (!app.repoUrl || !PACK_NAME_PATTERN.test(pack)) return undefined;
    const label = `${pack} (repository)`;
    let files;
    try {
      files = await readBranchFolder({
        remote: { url: app.repoUrl, token: app.credentials?.tokenEnv ? this.o.env[app.credentials.tokenEnv] : undefined, sshKeyPath: app.credentials?.sshKeyPath },
        branch: ref,
        folder: `${REPOSITORY_PACKS_DIR}/${pack}`,
        mirrorsDir: join(this.o.dataDir, 'mirrors'),
        timeoutMs: this.o.timeoutMs ?? 60_000,
        maxFiles: 500,
        maxFileBytes: 1 << 20,
      });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'unsafe_path') throw new PackError(label, (err as Error).message);
      throw err;
    }
    if (!files) return undefined;
    return {
      name: pack,
      origin: 'repository',
      files: Object.fromEntries(files.map((f) => [f.path, f.content.toString('utf8')])),
      renderer: (p, module, options) => renderPackIsolated(this.o.sandbox, p, module, options),
    };
  }
}
