import { execFile } from 'node:child_process';
import { existsSync, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { PRLIMIT, sandboxArgv, SETPRIV, type HostLayout, type SandboxLimits, type SandboxPolicy, type SandboxRequest } from './sandbox-args.ts';

export type { SandboxLimits, SandboxRequest } from './sandbox-args.ts';

/**
 * Isolation of repository code: pipeline steps, the services they start, repository template packs.
 * `bwrap` (bubblewrap): a dedicated unprivileged user, fresh PID/IPC/UTS namespaces with their own
 * /proc, only the system folders read-only, the work folder read-write, a private /tmp, a cleared
 * environment, rlimits. `none` runs commands as they are (SLIPWAY_RUNNER_ISOLATION=none: unsafe,
 * for a single-user machine).
 */
export type IsolationMode = 'bwrap' | 'none';

export interface SandboxOptions {
  mode: IsolationMode;
  /** The sandbox user when the server runs as root (default nobody, 65534); its group has the same id. */
  uid: number;
  limits: SandboxLimits;
  /** Paths that must never be visible: the data folder, the database file. */
  hidden: string[];
  bwrap?: string;
}

export type SandboxCheck = { ok: true } | { ok: false; reason: string };

const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
// No shadow, no sudoers, no machine-id: what builds need to resolve names, verify TLS and link.
const ETC = [
  'passwd', 'group', 'hosts', 'resolv.conf', 'nsswitch.conf', 'host.conf', 'gai.conf', 'services', 'protocols',
  'ssl', 'ca-certificates', 'ca-certificates.conf', 'pki', 'alternatives', 'ld.so.cache', 'ld.so.conf',
  'ld.so.conf.d', 'localtime', 'timezone', 'mime.types', 'os-release', 'debian_version',
].map((e) => `/etc/${e}`);

/** The host's system folders as they are here (merged /usr or not), plus node's install prefix. */
export function hostLayout(nodePath = process.execPath): HostLayout {
  const layout: HostLayout = { readOnly: [], symlinks: [], etc: ETC };
  for (const dir of SYSTEM_DIRS) {
    try {
      const st = lstatSync(dir);
      if (st.isSymbolicLink()) layout.symlinks.push({ path: dir, target: readlinkSync(dir) });
      else if (st.isDirectory()) layout.readOnly.push(dir);
    } catch {
      /* not on this system */
    }
  }
  // node installed outside /usr (nvm, /opt): its prefix, so `node` works inside.
  const prefix = path.dirname(path.dirname(realpathSync(nodePath)));
  if (!layout.readOnly.some((d) => prefix === d || prefix.startsWith(`${d}/`)) && prefix !== '/') layout.readOnly.push(prefix);
  return layout;
}

/** What the server keeps that repository code must never see, even under a folder it is shown. */
export function sandboxHidden(c: { dataDir: string; database: { kind: string; file?: string }; env: Record<string, string | undefined> }): string[] {
  const db = c.database.kind === 'sqlite' && c.database.file ? ['', '-wal', '-shm', '-journal'].map((s) => `${c.database.file}${s}`) : [];
  const configFile = c.env.SLIPWAY_CONFIG ? [path.resolve(c.env.SLIPWAY_CONFIG)] : [];
  return [c.dataDir, ...db, ...configFile];
}

export class Sandbox {
  private checked: Promise<SandboxCheck> | undefined;
  private readonly layout = hostLayout();
  readonly root = process.getuid?.() === 0;

  constructor(readonly o: SandboxOptions) {}

  get mode(): IsolationMode {
    return this.o.mode;
  }

  /** HOME inside: the private /tmp when isolated (no home shared between runs or members). */
  home(fallback: string): string {
    return this.o.mode === 'bwrap' ? '/tmp' : fallback;
  }

  /** The argv to spawn for `req`: wrapped in bwrap, or as is without isolation. */
  command(req: SandboxRequest): { file: string; args: string[] } {
    const argv = this.o.mode === 'none' ? req.argv : sandboxArgv(this.policy(), req);
    return { file: argv[0]!, args: argv.slice(1) };
  }

  /**
   * Whether sandboxes can start here: bwrap present, and a real sandbox (`id -u` with the limits and
   * the user drop) answering the sandbox user's id. A success is kept; a failure is tried again
   * after a minute (bubblewrap installed meanwhile). The reason says what to fix.
   */
  check(): Promise<SandboxCheck> {
    if (!this.checked) {
      const probe = this.probe();
      this.checked = probe;
      void probe.then((r) => {
        if (!r.ok) setTimeout(() => this.checked === probe && (this.checked = undefined), 60_000).unref();
      });
    }
    return this.checked;
  }

  /** Gives a folder the runner made to the sandbox user, so the command can write in it. */
  async handOver(dir: string): Promise<void> {
    if (this.o.mode === 'none' || !this.root) return;
    await run('chown', ['-R', '--no-dereference', `${this.o.uid}:${this.o.uid}`, '--', dir], 60_000);
  }

  private policy(): SandboxPolicy {
    return {
      bwrap: this.o.bwrap ?? '/usr/bin/bwrap',
      root: this.root,
      uid: this.o.uid,
      gid: this.o.uid,
      limits: this.o.limits,
      layout: this.layout,
      // Checked at each start: the database's -wal file comes and goes.
      hidden: this.o.hidden.flatMap((p) => {
        try {
          return [{ path: p, dir: statSync(p).isDirectory() }];
        } catch {
          return [];
        }
      }),
    };
  }

  private async probe(): Promise<SandboxCheck> {
    if (this.o.mode === 'none') return { ok: true };
    const bwrap = this.o.bwrap ?? '/usr/bin/bwrap';
    if (!existsSync(bwrap)) return { ok: false, reason: `bubblewrap is not installed (${bwrap} not found; Debian: apt-get install bubblewrap)` };
    for (const tool of [PRLIMIT, ...(this.root ? [SETPRIV] : [])]) {
      if (!existsSync(tool)) return { ok: false, reason: `${tool} is missing (Debian package util-linux)` };
    }
    if (this.root && this.o.uid === 0) return { ok: false, reason: 'SLIPWAY_SANDBOX_UID is 0: the sandbox user must not be root' };
    const { file, args } = this.command({ argv: ['/usr/bin/id', '-u'], cwd: '/', writable: [], network: false });
    try {
      const out = (await run(file, args, 10_000)).trim();
      if (out !== String(this.o.uid)) return { ok: false, reason: `the sandbox ran as uid ${out}, not ${this.o.uid}` };
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: `bwrap could not start a sandbox: ${(err as Error).message}` };
    }
  }
}

function run(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs, env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${(stderr || err.message).trim().split('\n').slice(-2).join(' / ')}`));
      else resolve(stdout);
    });
  });
}
