import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { networkError } from './classify.ts';
import { GitError } from './errors.ts';
import { gitEnv, runGit, type GitLogger, type GitResult } from './git-runner.ts';
import type { RemoteAccess } from './credentials.ts';
import { readRef } from './refs.ts';
import type { Scrub } from './scrub.ts';

/**
 * A cached bare, blobless (`--filter=blob:none`) mirror of one remote: every commit and tree, no
 * file contents. Publishing reads trees and writes new objects here, then pushes; it never checks
 * anything out. One directory per remote URL (without credentials) under `mirrorsDir`.
 */
export function mirrorDirFor(mirrorsDir: string, url: string): string {
  const readable = url
    .replace(/^[a-z+]+:\/\//i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(-40);
  const id = createHash('sha256').update(url).digest('hex').slice(0, 12);
  return join(mirrorsDir, `${readable || 'repo'}-${id}.git`);
}

/** Config of a fresh mirror, written in one go instead of a `git config` process per line. */
export function mirrorConfig(url: string): string {
  const q = (v: string) => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return [
    '[core]',
    '\trepositoryformatversion = 1',
    '\tfilemode = true',
    '\tbare = true',
    '\tlogAllRefUpdates = false',
    '[extensions]',
    '\tpartialClone = origin',
    '[remote "origin"]',
    `\turl = ${q(url)}`,
    '\tfetch = +refs/heads/*:refs/remotes/origin/*',
    '\tpromisor = true',
    '\tpartialclonefilter = blob:none',
    '',
  ].join('\n');
}

/**
 * Whether git reaches `url` through its local transport (`file://`, or a path: no `host:` before
 * the first slash), where it runs the target's upload-pack itself.
 */
export function isLocalTransport(url: string): boolean {
  if (/^file:\/\//i.test(url)) return true;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return false;
  const colon = url.indexOf(':');
  const slash = url.indexOf('/');
  return colon === -1 || (slash !== -1 && slash < colon);
}

/**
 * For a local remote, the upload-pack git runs: one that honours `--filter`
 * whatever the target's own config says. Git strips GIT_CONFIG_* from a local upload-pack's
 * environment, so the setting must be in its command line; a local path carries no credential.
 * Given as `remote.origin.uploadpack`, so the lazy fetches of a promisor mirror use it too.
 */
export function localUploadPack(url: string, git = 'git'): [string, string][] {
  if (!isLocalTransport(url)) return [];
  const bin = /^[A-Za-z0-9._\/-]+$/.test(git) ? git : `'${git.replace(/'/g, `'\\''`)}'`;
  return [['remote.origin.uploadpack', `${bin} -c uploadpack.allowFilter=true upload-pack`]];
}

export interface MirrorOptions {
  mirrorsDir: string;
  access: RemoteAccess;
  scrub: Scrub;
  deadline: number;
  timeoutMs: number;
  git?: string;
  log?: GitLogger;
}

export class Mirror {
  readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly o: MirrorOptions) {
    this.dir = mirrorDirFor(o.mirrorsDir, o.access.url);
    this.env = gitEnv(o.access.env, [
      ...o.access.config,
      ...localUploadPack(o.access.url, o.git),
      ['protocol.version', '2'],
      // Stalled transfers end on their own too, not only by our kill.
      ['http.lowSpeedLimit', '1000'],
      ['http.lowSpeedTime', String(Math.max(5, Math.ceil(o.timeoutMs / 1000)))],
    ]);
  }

  get lockPath(): string {
    return `${this.dir}.lock`;
  }

  /** Runs git in the mirror with whatever time the whole operation has left. */
  run(args: readonly string[], opts: { input?: string | Buffer; okCodes?: number[]; cwd?: string } = {}): Promise<GitResult> {
    const left = this.o.deadline - Date.now();
    if (left <= 0) return Promise.reject(new GitError('timeout', `out of time before git ${args[0]}`));
    return runGit(args, { cwd: opts.cwd ?? this.dir, env: this.env, input: opts.input, okCodes: opts.okCodes, timeoutMs: left, scrub: this.o.scrub, git: this.o.git, log: this.o.log });
  }

  /** Creates the mirror when missing: `init` in a temporary directory, then an atomic rename. */
  async ensure(): Promise<{ created: boolean }> {
    if (existsSync(join(this.dir, 'HEAD'))) return { created: false };
    await mkdir(this.o.mirrorsDir, { recursive: true });
    const tmp = `${this.dir}.tmp-${randomBytes(4).toString('hex')}`;
    try {
      await this.run(['init', '--bare', '--quiet', tmp], { cwd: this.o.mirrorsDir });
      await writeFile(join(tmp, 'config'), mirrorConfig(this.o.access.url));
      await rename(tmp, this.dir);
      return { created: true };
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      if (existsSync(join(this.dir, 'HEAD'))) return { created: false };
      throw err;
    }
  }

  /** The remote's current heads of these branches (absent ones are missing from the map). */
  async remoteHeads(branches: readonly string[]): Promise<Map<string, string>> {
    const refs = branches.map((b) => `refs/heads/${b}`);
    let res: GitResult;
    try {
      res = await this.run(['ls-remote', '--heads', 'origin', ...refs]);
    } catch (err) {
      throw networkError(err, 'reading the branches of', this.o.access.url);
    }
    const heads = new Map<string, string>();
    for (const line of res.stdout.toString('utf8').split('\n')) {
      const [sha, ref] = line.split('\t');
      // ls-remote patterns match ref tails (refs/heads/x/refs/heads/main too): keep exact names only.
      if (sha && ref && refs.includes(ref)) heads.set(ref.slice('refs/heads/'.length), sha);
    }
    return heads;
  }

  /** What the mirror last saw of a branch on the remote (its remote-tracking ref). */
  trackedHead(branch: string): Promise<string | null> {
    return readRef(this.dir, `refs/remotes/origin/${branch}`);
  }

  /** Incremental, blobless fetch of these branches into their remote-tracking refs. */
  async fetch(branches: readonly string[]): Promise<void> {
    const specs = branches.map((b) => `+refs/heads/${b}:refs/remotes/origin/${b}`);
    try {
      await this.run(['fetch', '--quiet', '--no-tags', '--filter=blob:none', 'origin', ...specs]);
    } catch (err) {
      throw networkError(err, 'fetching from', this.o.access.url);
    }
  }
}
