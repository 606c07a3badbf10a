import { describe, expect, it } from 'vitest';
import { PRLIMIT, sandboxArgv, SETPRIV, type SandboxPolicy } from './sandbox-args.ts';

const policy = (over: Partial<SandboxPolicy> = {}): SandboxPolicy => ({
  bwrap: '/usr/bin/bwrap',
  root: true,
  uid: 65534,
  gid: 65534,
  limits: { memoryBytes: 1000, cpuSeconds: 60, processes: 100, fileSizeBytes: 2000, openFiles: 300, tmpBytes: 4000 },
  layout: { readOnly: ['/usr'], symlinks: [{ path: '/bin', target: 'usr/bin' }], etc: ['/etc/passwd'] },
  hidden: [],
  ...over,
});

/** The argv as `flag a b` strings, for readable assertions. */
const ops = (argv: string[]) => argv.join(' ');

describe('sandboxArgv', () => {
  const step = { argv: ['bash', '-c', 'make'], cwd: '/srv/data/runner/checkouts/abc', writable: ['/srv/data/runner/checkouts/abc'], network: true };

  it('as root: no user namespace (it would map to root), setpriv drops to the sandbox user after the limits', () => {
    const a = sandboxArgv(policy(), step);
    expect(a[0]).toBe('/usr/bin/bwrap');
    expect(a).not.toContain('--unshare-user');
    const tail = a.slice(a.indexOf('--chdir'));
    expect(tail).toEqual([
      '--chdir', step.cwd, '--',
      PRLIMIT, '--data=1000', '--nproc=100', '--fsize=2000', '--nofile=300', '--core=0', '--cpu=60:65', '--',
      SETPRIV, '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--',
      'bash', '-c', 'make',
    ]);
  });

  it('not root: an unprivileged user namespace maps the server user to the sandbox uid; no setpriv', () => {
    const a = sandboxArgv(policy({ root: false, uid: 1234, gid: 1234 }), step);
    expect(ops(a)).toContain('--unshare-user --uid 1234 --gid 1234');
    expect(a).not.toContain(SETPRIV);
  });

  it('new PID, IPC and UTS namespaces, a fresh /proc, a private sized /tmp; the network only when asked', () => {
    const a = ops(sandboxArgv(policy(), step));
    expect(a).toContain('--unshare-ipc --unshare-pid --unshare-uts');
    expect(a).toContain('--proc /proc --dev /dev');
    expect(a).toContain('--size 4000 --perms 1777 --tmpfs /tmp --size 4000 --perms 1777 --tmpfs /dev/shm');
    expect(a).toContain('--remount-ro / --chdir');
    expect(a).toContain('--die-with-parent');
    expect(a).not.toContain('--unshare-net');
    expect(ops(sandboxArgv(policy(), { ...step, network: false }))).toContain('--unshare-net');
  });

  it('binds only the system folders read-only and the work folder read-write, never the root', () => {
    const a = sandboxArgv(policy(), step);
    expect(ops(a)).toContain('--ro-bind /usr /usr');
    expect(ops(a)).toContain('--symlink usr/bin /bin');
    expect(ops(a)).toContain('--ro-bind-try /etc/passwd /etc/passwd');
    expect(ops(a)).toContain(`--bind ${step.cwd} ${step.cwd}`);
    expect(ops(a)).not.toMatch(/--(ro-)?bind \/ /);
    // Its parents are made 0555 on the empty root: the sandbox user can reach its folder, and write nowhere else.
    expect(ops(a)).toContain('--perms 0555 --dir /srv --perms 0555 --dir /srv/data --perms 0555 --dir /srv/data/runner --perms 0555 --dir /srv/data/runner/checkouts --bind');
  });

  it('covers hidden paths under a read-only folder: a tmpfs over a folder, /dev/null over a file; the work folder is bound after', () => {
    const a = ops(
      sandboxArgv(policy({ hidden: [{ path: '/app/data', dir: true }, { path: '/app/slipway.db', dir: false }, { path: '/elsewhere', dir: true }] }), {
        argv: ['node', 'w.mjs'],
        cwd: '/tmp',
        writable: ['/app/data/runner/x'],
        readOnly: ['/app'],
        network: false,
      }),
    );
    expect(a).toContain('--ro-bind /app /app --tmpfs /app/data --ro-bind /dev/null /app/slipway.db --perms 0555 --dir /app/data/runner --bind /app/data/runner/x /app/data/runner/x');
    // Not under anything bound: nothing to cover.
    expect(a).not.toContain('/elsewhere');
  });

  it('services: no CPU-time limit when the request lifts it', () => {
    expect(sandboxArgv(policy(), { ...step, limits: { cpuSeconds: undefined } }).some((x) => x.startsWith('--cpu'))).toBe(false);
  });

  it('refuses relative paths', () => {
    expect(() => sandboxArgv(policy(), { ...step, writable: ['relative/dir'] })).toThrow(/absolute/);
  });
});
