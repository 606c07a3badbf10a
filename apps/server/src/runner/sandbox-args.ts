import path from 'node:path';

/**
 * The bubblewrap command line that isolates repository code (pipeline steps, services, repository
 * template packs). Pure: the host's layout and the policy are given, so every rule is testable
 * without spawning anything. Sandbox (sandbox.ts) does the probing and the spawning.
 */

export interface SandboxLimits {
  /** RLIMIT_DATA per process (heap and private writable mappings; V8's address reservations are not counted). */
  memoryBytes: number;
  /** RLIMIT_CPU per process; undefined: none (long-running services). */
  cpuSeconds?: number;
  /** RLIMIT_NPROC: processes and threads of the sandbox user, all sandboxes together. */
  processes: number;
  /** RLIMIT_FSIZE: largest file a process may write. */
  fileSizeBytes: number;
  /** RLIMIT_NOFILE. */
  openFiles: number;
  /** Size of the private /tmp (a tmpfs, so it is memory). */
  tmpBytes: number;
}

/** What of the host is shown inside, read-only. */
export interface HostLayout {
  /** System folders bound read-only at the same path (/usr, /lib64 on a split-/usr system, node's prefix). */
  readOnly: string[];
  /** Top-level symbolic links recreated as they are (merged /usr: /bin → usr/bin). */
  symlinks: { path: string; target: string }[];
  /** Entries of /etc bound read-only when present: name resolution, TLS roots, the dynamic linker's cache. */
  etc: string[];
}

export interface SandboxPolicy {
  bwrap: string;
  /**
   * The server runs as root: bwrap runs privileged (it can bind folders the sandbox user could not
   * reach) and `setpriv` drops to `uid` before the command runs. Otherwise an unprivileged user
   * namespace maps the server's user to `uid` (a user namespace as root would map to root).
   */
  root: boolean;
  uid: number;
  gid: number;
  limits: SandboxLimits;
  layout: HostLayout;
  /** Never visible, even under a folder that is bound: the data folder, the database files. */
  hidden: { path: string; dir: boolean }[];
}

export interface SandboxRequest {
  argv: string[];
  /** Working directory inside (and outside: the same path). */
  cwd: string;
  /** Bound read-write at the same path: the checkout or release folder. */
  writable: string[];
  /** Bound read-only at the same path, besides the system folders. */
  readOnly?: string[];
  /** Share the host's network (builds fetch, services listen on host loopback); false: none at all. */
  network: boolean;
  limits?: Partial<SandboxLimits>;
}

/** Where `prlimit` and `setpriv` (util-linux) are: absolute, so the sandbox's PATH cannot swap them. */
export const PRLIMIT = '/usr/bin/prlimit';
export const SETPRIV = '/usr/bin/setpriv';

const inside = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);

/** The full argv (`[bwrap, ...]`) that runs `req.argv` in the sandbox. */
export function sandboxArgv(policy: SandboxPolicy, req: SandboxRequest): string[] {
  for (const p of [req.cwd, ...req.writable, ...(req.readOnly ?? [])]) {
    if (!path.isAbsolute(p)) throw new Error(`sandbox paths must be absolute: ${p}`);
  }
  const limits = { ...policy.limits, ...req.limits };
  const a: string[] = [policy.bwrap];
  a.push('--unshare-ipc', '--unshare-pid', '--unshare-uts', '--unshare-cgroup-try', '--hostname', 'sandbox');
  if (!req.network) a.push('--unshare-net');
  if (!policy.root) a.push('--unshare-user', '--uid', String(policy.uid), '--gid', String(policy.gid));
  // The sandbox ends with the runner: killing bwrap kills every process of its PID namespace.
  a.push('--die-with-parent');

  // Mounts on the empty root. Folders a bind destination needs are made 0555 (bwrap's default would
  // shut the sandbox user out) wherever the deepest mount is a tmpfs; inside a bind they exist.
  const mounts: { path: string; creatable: boolean }[] = [{ path: '/', creatable: true }];
  const mount = (p: string, creatable: boolean) => mounts.push({ path: p, creatable });
  const makeParents = (dest: string) => {
    const parts = dest.split('/').filter(Boolean);
    for (let i = 1; i < parts.length; i++) {
      const dir = `/${parts.slice(0, i).join('/')}`;
      const deepest = mounts.filter((m) => inside(dir, m.path)).sort((x, y) => y.path.length - x.path.length)[0]!;
      if (deepest.path === dir || !deepest.creatable) continue;
      a.push('--perms', '0555', '--dir', dir);
      mount(dir, true);
    }
  };
  const bind = (flag: string, p: string) => {
    makeParents(p);
    a.push(flag, p, p);
    mount(p, false);
  };

  for (const p of policy.layout.readOnly) bind('--ro-bind', p);
  for (const l of policy.layout.symlinks) a.push('--symlink', l.target, l.path);
  a.push('--perms', '0555', '--dir', '/etc');
  mount('/etc', true);
  for (const e of policy.layout.etc) a.push('--ro-bind-try', e, e);
  a.push('--proc', '/proc', '--dev', '/dev');
  // Memory-backed: bounded. /dev/shm too (some tools need it; unbounded, it would be RAM for the taking).
  a.push('--size', String(limits.tmpBytes), '--perms', '1777', '--tmpfs', '/tmp');
  a.push('--size', String(limits.tmpBytes), '--perms', '1777', '--tmpfs', '/dev/shm');
  mount('/tmp', true);
  for (const p of req.readOnly ?? []) bind('--ro-bind', p);

  // Secrets under a bound folder are covered: an empty tmpfs over a folder, /dev/null over a file.
  for (const h of policy.hidden) {
    if (!mounts.some((m) => !m.creatable && inside(h.path, m.path))) continue;
    if (h.dir) {
      a.push('--tmpfs', h.path);
      mount(h.path, true);
    } else {
      a.push('--ro-bind', '/dev/null', h.path);
    }
  }
  for (const p of req.writable) bind('--bind', p);
  // The root tmpfs is the sandbox user's own in a user namespace: read-only, so only the binds
  // and the sized tmpfs mounts take writes.
  a.push('--remount-ro', '/');
  a.push('--chdir', req.cwd, '--');

  a.push(
    PRLIMIT,
    `--data=${limits.memoryBytes}`,
    `--nproc=${limits.processes}`,
    `--fsize=${limits.fileSizeBytes}`,
    `--nofile=${limits.openFiles}`,
    '--core=0',
    // SIGXCPU at the soft limit (the log can say why), SIGKILL 5 s of CPU later.
    ...(limits.cpuSeconds ? [`--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 5}`] : []),
    '--',
  );
  if (policy.root) {
    a.push(SETPRIV, `--reuid=${policy.uid}`, `--regid=${policy.gid}`, '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--');
  }
  a.push(...req.argv);
  return a;
}
