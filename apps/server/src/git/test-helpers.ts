import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { User } from '../auth/auth.service.ts';
import { expect } from 'vitest';
import { GitError } from './errors.ts';
import { gitHttpRoutes } from './git-http.routes.ts';
import type { PushEvent } from './push-events.ts';
import type { RepoRules } from './push-policy.ts';
import { RepoPermissions } from './repo-permissions.ts';

/** Test support for the git layer: temporary folders, a git CLI without user config, a smart HTTP server. */

export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A person's git: no global or system config, no prompts. Synchronous: never against a server in this process. */
export function git(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: personEnv(cwd, env) }).trim();
}

/** The same, without blocking the event loop (for talking to a server this process runs). */
export function gitAsync(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('git', args, { cwd, encoding: 'utf8', env: personEnv(cwd, env), timeout: 20_000 }, (err, stdout, stderr) =>
      err ? reject(Object.assign(new Error(`git ${args[0]} failed: ${stderr}`), { stderr })) : resolve(stdout.trim()),
    ),
  );
}

function personEnv(cwd: string, env: Record<string, string>): NodeJS.ProcessEnv {
  return {
      PATH: process.env.PATH,
      HOME: cwd,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'Person',
      GIT_AUTHOR_EMAIL: 'person@example.com',
      GIT_COMMITTER_NAME: 'Person',
      GIT_COMMITTER_EMAIL: 'person@example.com',
    ...env,
  };
}

/** `git` that first appends its argv to a file: what `ps` would have shown. */
export function argvRecordingGit(dir: string): { bin: string; argv(): string } {
  const log = join(dir, 'argv.log');
  const bin = join(dir, 'git-recording');
  writeFileSync(bin, `#!/bin/sh\nprintf '%s\\n' "$0 $*" >> '${log}'\nexec git "$@"\n`);
  chmodSync(bin, 0o755);
  writeFileSync(log, '');
  return { bin, argv: () => readFileSync(log, 'utf8') };
}

/** Samples every process's argv (/proc/<pid>/cmdline) until stopped: catches git's helpers too. */
export function sampleProcessArgv(): { stop(): string[] } {
  const seen = new Set<string>();
  const timer = setInterval(() => {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
        if (cmd.includes('git')) seen.add(cmd);
      } catch {
        /* gone */
      }
    }
  }, 2);
  return {
    stop() {
      clearInterval(timer);
      return [...seen];
    },
  };
}

export const TEST_USER: User = { id: 1, email: 'dev@example.com', role: 'admin' };

export interface GitServerOptions {
  /** More people, by token (`token` itself is TEST_USER, an admin). */
  users?: Record<string, User>;
  /** The configured applications' rules (base branch, deployers), by repository name. */
  rules?: Record<string, RepoRules>;
  /** Owners of modules, by slug. */
  moduleOwners?: Record<string, number>;
}

/** A Fastify app serving `reposDir` over smart HTTP to `token` (an admin) and `users`, with the real permissions. */
export async function startGitServer(reposDir: string, token: string, o: GitServerOptions = {}): Promise<{ app: FastifyInstance; url: string; pushes: PushEvent[] }> {
  const pushes: PushEvent[] = [];
  const people: Record<string, User> = { ...o.users, [token]: TEST_USER };
  const app = Fastify({ logger: false });
  await app.register(gitHttpRoutes, {
    reposDir,
    authenticate: async (req) => people[/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? ''] ?? null,
    permissions: new RepoPermissions({
      rules: (id) => o.rules?.[id],
      modulePrefix: 'module/',
      moduleOwner: async (slug) => o.moduleOwners?.[slug] ?? null,
    }),
    onPush: (e) => pushes.push(e),
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url, pushes };
}

/** Until `check` holds (onPush fires after the response, when http-backend has exited). */
export async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The GitError a publish fails with (the test fails if it succeeds or throws anything else). */
export async function failure(p: Promise<unknown>): Promise<GitError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GitError);
  return err as GitError;
}
