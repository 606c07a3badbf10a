import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitError } from './errors.ts';
import type { Scrub } from './scrub.ts';

/** Where the git layer reports each command it ran (already scrubbed). pino's logger fits. */
export interface GitLogger {
  debug(msg: string): void;
}

export interface GitRunOptions {
  /** Working directory; for a bare repository, the repository itself. */
  cwd?: string;
  /** The whole environment (from gitEnv: credentials travel here, never in argv). */
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  /** Killed with its whole process group after this long. */
  timeoutMs: number;
  scrub: Scrub;
  /** The git executable; tests pass a wrapper that records argv. */
  git?: string;
  log?: GitLogger;
  /** Exit codes that are answers, not failures (e.g. 1 for `check-ref-format`). */
  okCodes?: readonly number[];
}

export interface GitResult {
  code: number;
  stdout: Buffer;
  /** Scrubbed. */
  stderr: string;
}

let home: string | undefined;
/** An empty HOME, so no ~/.gitconfig, credential helper or ssh config of the host user applies. */
function emptyHome(): string {
  if (!home) {
    home = join(tmpdir(), `slipway-git-home-${process.getuid?.() ?? 0}`);
    mkdirSync(home, { recursive: true, mode: 0o700 });
  }
  return home;
}

/**
 * The environment every git command runs in: nothing inherited but PATH and TMPDIR, no system or
 * global config, no prompts (a missing credential fails instead of hanging), C locale so messages
 * can be classified. Config git needs goes through GIT_CONFIG_COUNT, which reaches git's own
 * children (remote helpers; not the upload-pack of a local remote, whose environment git cleans:
 * see mirror.ts) but never shows in argv.
 */
export function gitEnv(extra: Record<string, string> = {}, config: readonly (readonly [string, string])[] = []): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: emptyHome(),
    XDG_CONFIG_HOME: emptyHome(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GCM_INTERACTIVE: 'never',
    LC_ALL: 'C',
    LANG: 'C',
  };
  if (process.env.TMPDIR) env.TMPDIR = process.env.TMPDIR;
  config.forEach(([k, v], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = k;
    env[`GIT_CONFIG_VALUE_${i}`] = v;
  });
  if (config.length) env.GIT_CONFIG_COUNT = String(config.length);
  return { ...env, ...extra };
}

/**
 * Runs one git command. Resolves with its output when it exits with 0 (or an `okCodes` code);
 * otherwise rejects with a GitError('git_failed') carrying scrubbed stderr, which callers
 * reclassify. A timeout kills the process group (git's helpers included): GitError('timeout').
 */
export function runGit(args: readonly string[], opts: GitRunOptions): Promise<GitResult> {
  const { scrub } = opts;
  // Defence in depth: nothing credential-like may ever reach argv (ps shows it to every user).
  if (args.some((a) => scrub(a) !== a)) {
    return Promise.reject(new GitError('git_failed', `refusing to run git ${args[0]}: an argument looks like a credential`));
  }
  const started = Date.now();
  const shown = `git ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    const child = spawn(opts.git ?? 'git', args, {
      cwd: opts.cwd,
      env: opts.env ?? gitEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout can kill git-remote-http & co. too
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(
      () => {
        timedOut = true;
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      },
      Math.max(1, opts.timeoutMs),
    );
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.stdin.on('error', () => {
      /* git may exit before reading all its input; the exit code tells what happened */
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new GitError('git_failed', scrub(`could not run git: ${e.message}`)));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = scrub(Buffer.concat(err).toString('utf8')).trim();
      const ms = Date.now() - started;
      opts.log?.debug(`${scrub(shown)} → ${timedOut ? 'timeout' : (code ?? signal)} in ${ms} ms`);
      if (timedOut) return reject(new GitError('timeout', `git ${args[0]} did not finish within ${opts.timeoutMs} ms`, stderr));
      const c = code ?? -1;
      if (c === 0 || opts.okCodes?.includes(c)) return resolve({ code: c, stdout: Buffer.concat(out), stderr });
      reject(new GitError('git_failed', `git ${args[0]} failed (${code ?? signal}): ${lastLines(stderr)}`, stderr));
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

/** The end of stderr is where git says what went wrong; the start is progress noise. */
export function lastLines(text: string, n = 4): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.slice(-n).join(' / ') || 'no message';
}
