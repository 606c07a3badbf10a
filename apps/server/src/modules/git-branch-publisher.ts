import { join } from 'node:path';
import type { ApplicationConfig } from '../config/config.ts';
import { deleteModuleBranch, publishModuleBranch, readBranchFiles, type GitLogger, type GitRemote } from '../git/index.ts';
import type { BranchFiles, BranchPublisher, PublishRequest, PublishResult } from './branch-publisher.ts';

export interface GitBranchPublisherOptions {
  dataDir: string;
  /** Where credentials named in the applications file (`credentials.tokenEnv`) are read. */
  env: Record<string, string | undefined>;
  timeoutMs?: number;
  log?: GitLogger;
}

/** BranchPublisher over git (partial mirrors under `<data>/mirrors`). */
export class GitBranchPublisher implements BranchPublisher {
  constructor(private readonly o: GitBranchPublisherOptions) {}

  async publish(app: ApplicationConfig, req: PublishRequest): Promise<PublishResult> {
    const r = await publishModuleBranch({
      remote: this.remote(app),
      baseBranch: req.baseBranch,
      branch: req.branch,
      files: req.files,
      deletes: req.deletes,
      expectedHead: req.expectedHead,
      message: req.message,
      author: req.author,
      mirrorsDir: join(this.o.dataDir, 'mirrors'),
      timeoutMs: this.o.timeoutMs ?? 120_000,
      log: this.o.log,
    });
    return { commit: r.commit, previous: r.previous };
  }

  async deleteBranch(app: ApplicationConfig, branch: string): Promise<string | null> {
    const r = await deleteModuleBranch({ remote: this.remote(app), branch, mirrorsDir: join(this.o.dataDir, 'mirrors'), timeoutMs: this.o.timeoutMs ?? 120_000, log: this.o.log });
    return r.deleted;
  }

  readFiles(app: ApplicationConfig, branch: string, paths: readonly string[], more?: (files: ReadonlyMap<string, Buffer>) => readonly string[]): Promise<BranchFiles> {
    return readBranchFiles({ remote: this.remote(app), branch, paths, more, mirrorsDir: join(this.o.dataDir, 'mirrors'), timeoutMs: this.o.timeoutMs ?? 120_000, maxFileBytes: 4 << 20, log: this.o.log });
  }

  async headOf(app: ApplicationConfig, branch: string): Promise<string | null> {
    return (await this.readFiles(app, branch, [])).head;
  }

  private remote(app: ApplicationConfig): GitRemote {
    const token = app.credentials?.tokenEnv ? this.o.env[app.credentials.tokenEnv] : undefined;
    return { url: app.repoUrl!, token, sshKeyPath: app.credentials?.sshKeyPath };
  }
}
