import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PromoteResult } from '@slipway/contracts';
import type { ApplicationConfig } from '../config/config.ts';
import type { Viewer } from '../deployments/deployments.store.ts';
import { hostedAppOf, localRepoPath, type PushEvent } from '../git/index.ts';
import { gitEnv, runGit } from '../git/git-runner.ts';
import { makeScrubber } from '../git/scrub.ts';
import type { GitHubClient } from './github.client.ts';

/** A refusal of Promote, with its HTTP status (409 carries the conflicting files). */
export class PromoteError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface PromoteModule {
  slug: string;
  owner_id: number | null;
  applications: string[];
  git: { branchName: string; baseBranch: string };
}

export interface PromoteOptions {
  /** The module as the viewer may see it (undefined: not found). */
  module(viewer: Viewer, slug: string): Promise<PromoteModule | undefined>;
  applications: { get(id: string): ApplicationConfig | undefined };
  reposDir: string;
  github?: GitHubClient;
  publicUrl?: string;
  /** The module's preview on an application (absolute URL, or a path under Slipway). */
  previewUrl(slug: string, applicationId: string): Promise<string | null>;
  /** Tears the module's previews down (a hosted branch was merged). */
  tearDown(slug: string, reason: string): Promise<unknown>;
  /** The base branch moved: the local runner builds it, as after a person's push. */
  onPush?: (e: PushEvent) => void;
  gitTimeoutMs?: number;
}

const scrub = makeScrubber([]);

/**
 * "Promote" (docs/previews.md): the module's branch goes to its base branch. For a GitHub
 * application, a pull request `module/<slug>` → base with the preview link in its body (the open
 * one when there is one). For a repository Slipway hosts, a real merge, once confirmed: fast-forward
 * when the base has not moved, else a merge commit made in a temporary worktree; conflicts refuse
 * it (409, naming the files) and change nothing. A merged module's previews are torn down.
 */
export class Promoter {
  constructor(private readonly o: PromoteOptions) {}

  async promote(viewer: Viewer, slug: string, input: { confirm?: boolean }): Promise<PromoteResult[]> {
    const m = await this.o.module(viewer, slug);
    if (!m) throw new PromoteError(404, 'not_found', `no module '${slug}' that you can see`);
    if (viewer.role !== 'admin' && m.owner_id !== viewer.id) throw new PromoteError(403, 'forbidden', 'only the module\'s owner or an admin may promote it');
    const results: PromoteResult[] = [];
    const hosted: { app: ApplicationConfig; id: string }[] = [];
    for (const id of m.applications) {
      const app = this.o.applications.get(id);
      if (!app) continue;
      const repoId = app.repoUrl ? hostedAppOf(this.o.reposDir, app.repoUrl) : null;
      if (app.github?.repository && this.o.github) {
        const preview = await this.absolute(await this.o.previewUrl(slug, id));
        const pr = await this.o.github.openPullRequest(app.github.repository, {
          head: m.git.branchName,
          base: m.git.baseBranch || app.baseBranch,
          title: `Module '${slug}'`,
          body: [`Promoted from Slipway: module \`${slug}\` (branch \`${m.git.branchName}\`).`, '', preview ? `Preview: ${preview}` : 'No preview is running.'].join('\n'),
        });
        results.push({ application_id: id, kind: 'pull_request', url: pr.url, number: pr.number, existing: pr.existing, commit: null, fast_forward: null });
      } else if (repoId) {
        hosted.push({ app, id: repoId });
      }
    }
    if (hosted.length && !input.confirm) {
      for (const h of hosted) results.push({ application_id: h.app.id, kind: 'confirm', url: null, number: null, existing: false, commit: null, fast_forward: null });
      return results;
    }
    for (const h of hosted) {
      const merged = await this.merge(h.id, m.git.branchName, m.git.baseBranch || h.app.baseBranch, slug);
      results.push({ application_id: h.app.id, kind: 'merged', url: null, number: null, existing: false, commit: merged.commit, fast_forward: merged.fastForward });
    }
    if (hosted.length) await this.o.tearDown(slug, `merged into ${m.git.baseBranch}`);
    if (!results.length) throw new PromoteError(409, 'not_promotable', `module '${slug}' has no GitHub or hosted application to promote to`);
    return results;
  }

  private async absolute(url: string | null): Promise<string | null> {
    if (!url || /^https?:\/\//.test(url)) return url;
    return this.o.publicUrl ? `${this.o.publicUrl.replace(/\/+$/, '')}${url}` : url;
  }

  /** Merges `branch` into `base` of the hosted repository `repoId`. */
  async merge(repoId: string, branch: string, base: string, slug: string): Promise<{ commit: string; fastForward: boolean | null }> {
    const repo = localRepoPath(this.o.reposDir, repoId);
    const timeoutMs = this.o.gitTimeoutMs ?? 60_000;
    const git = (args: string[], cwd = repo, okCodes?: number[]) => runGit(args, { cwd, env: gitEnv(IDENTITY), timeoutMs, scrub, okCodes });
    const rev = async (ref: string) => {
      const r = await git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], repo, [1]);
      return r.code === 0 ? r.stdout.toString().trim() : undefined;
    };
    const head = await rev(`refs/heads/${branch}`);
    const before = await rev(`refs/heads/${base}`);
    if (!head) throw new PromoteError(409, 'no_branch', `${repoId} has no branch ${branch}`);
    if (!before) throw new PromoteError(409, 'no_base', `${repoId} has no branch ${base}`);
    const isAncestor = async (a: string, b: string) => (await git(['merge-base', '--is-ancestor', a, b], repo, [1])).code === 0;
    if (await isAncestor(head, before)) return { commit: before, fastForward: null }; // merged already
    let after: string;
    let fastForward = false;
    if (await isAncestor(before, head)) {
      after = head;
      fastForward = true;
    } else {
      const dir = await mkdtemp(join(tmpdir(), 'slipway-merge-'));
      const tree = join(dir, 'tree');
      try {
        await git(['worktree', 'add', '--detach', tree, before]);
        const r = await git(['merge', '--no-ff', '--no-edit', '-m', `Merge ${branch} (module '${slug}') into ${base}`, head], tree, [1]);
        if (r.code !== 0) {
          const conflicted = (await git(['diff', '--name-only', '--diff-filter=U'], tree)).stdout.toString().split('\n').filter(Boolean);
          await git(['merge', '--abort'], tree, [1, 128]);
          throw new PromoteError(409, 'merge_conflict', `${branch} does not merge into ${base} of ${repoId}: conflicts in ${conflicted.join(', ') || 'the tree'}`, conflicted.map((f) => ({ field: f, message: 'conflict' })));
        }
        after = (await git(['rev-parse', 'HEAD'], tree)).stdout.toString().trim();
      } finally {
        await git(['worktree', 'remove', '--force', tree], repo, [1, 128]).catch(() => undefined);
        await rm(dir, { recursive: true, force: true });
        await git(['worktree', 'prune'], repo, [1, 128]).catch(() => undefined);
      }
    }
    // Compare-and-swap: a push to the base branch in the meantime makes this fail, not vanish.
    const moved = await git(['update-ref', `refs/heads/${base}`, after, before], repo, [1, 128]);
    if (moved.code !== 0) throw new PromoteError(409, 'base_moved', `${base} of ${repoId} moved during the merge: try again`);
    this.o.onPush?.({ app: repoId, updates: [{ ref: `refs/heads/${base}`, before, after }] });
    return { commit: after, fastForward };
  }
}

const IDENTITY = {
  GIT_AUTHOR_NAME: 'Slipway',
  GIT_AUTHOR_EMAIL: 'slipway@localhost',
  GIT_COMMITTER_NAME: 'Slipway',
  GIT_COMMITTER_EMAIL: 'slipway@localhost',
};
