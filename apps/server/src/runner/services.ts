import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, readlinkSync, realpathSync, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import type { Sandbox } from './sandbox.ts';

/**
 * The long-running processes the local runner's deploy stage starts (`deploy.start`): one per
 * application and branch, on a port that stays the same for that key, across restarts of Slipway
 * (it is recorded in the key's service file). Starting a key again replaces its process; `stopAll`
 * ends them all when Slipway stops, keeping their release folders and service files, so the next
 * start can relaunch them (`relaunch`). Each runs in its own process group, so stopping it stops
 * whatever it spawned.
 */
export interface ServiceSpec {
  command: string;
  /** The release directory it runs from; removed when the service is replaced or forgotten. */
  cwd: string;
  env: Record<string, string>;
  /** stdout and stderr are appended here. */
  logFile: string;
  /** The commit it runs (for the service file; relaunch checks it still is the deployed one). */
  commit?: string;
}

/** What `<stateDir>/<key>.json` holds: the port, and how to start the service again. */
export interface ServiceRecord {
  key: string;
  port: number;
  spec?: ServiceSpec;
  /** When its process was last started (ISO): with the key, the relaunch job's identity. */
  startedAt?: string;
  pid?: number;
}

interface Service {
  child: ChildProcess;
  cwd: string;
  logFile: string;
  exited: Promise<void>;
}

export class ServiceSupervisor {
  private readonly services = new Map<string, Service>();
  private readonly ports = new Map<string, number>();
  /** Keys being started now (`starting` in the live state). */
  private readonly startingKeys = new Set<string>();
  /** One start or stop at a time per key: a relaunch and a new deploy of one branch never interleave. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private closed = false;

  /**
   * Services run in `sandbox` (host network: they listen on a host loopback port), their release
   * folder writable. With `stateDir`, each key's port and start command are kept there.
   */
  constructor(private readonly o: { sandbox: Sandbox; host?: string; stopGraceMs?: number; stateDir?: string }) {}

  get host(): string {
    return this.o.host ?? '127.0.0.1';
  }

  /** A free port for `key`, the same one every time for that key (recorded: across restarts too). */
  async portFor(key: string): Promise<number> {
    const known = this.ports.get(key) ?? (await this.record(key))?.port;
    if (known) {
      this.ports.set(key, known);
      return known;
    }
    const port = await freePort(this.host);
    this.ports.set(key, port);
    if (this.o.stateDir) await this.writeRecord({ key, port }, { exclusive: true }).catch(() => undefined);
    // Another instance sharing the data folder may have recorded one first: theirs wins.
    const recorded = (await this.record(key))?.port || port;
    this.ports.set(key, recorded);
    return recorded;
  }

  /**
   * Stops the key's current process, then starts `spec`. Resolves once it has survived a short
   * while; rejects with the tail of its log when it exits at once.
   */
  start(key: string, spec: ServiceSpec): Promise<{ pid: number }> {
    return this.serial(key, () => this.startNow(key, spec));
  }

  private async startNow(key: string, spec: ServiceSpec): Promise<{ pid: number }> {
    if (this.closed) throw new Error('the service supervisor is stopped');
    this.startingKeys.add(key);
    try {
      await this.stopNow(key, { keepDir: spec.cwd });
      // Service logs may hold what the module prints (tokens in URLs, errors): the server's user only.
      const fd = openSync(spec.logFile, 'a', 0o600);
      let child: ChildProcess;
      try {
        // A service runs for as long as it is deployed: no CPU-time limit, the others as for steps.
        const { file, args } = this.o.sandbox.command({ argv: ['bash', '-c', `exec ${spec.command}`], cwd: spec.cwd, writable: [spec.cwd], network: true, limits: { cpuSeconds: undefined } });
        child = spawn(file, args, { cwd: spec.cwd, env: spec.env, stdio: ['ignore', fd, fd], detached: true });
      } finally {
        closeSync(fd);
      }
      child.unref();
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.on('error', () => undefined);
      this.services.set(key, { child, cwd: spec.cwd, logFile: spec.logFile, exited });
      const early = await Promise.race([exited.then(() => true), delay(500).then(() => false)]);
      if (early || !child.pid) {
        this.services.delete(key);
        throw new Error(`the service exited at once (${child.exitCode ?? child.signalCode ?? 'not started'}): ${tail(spec.logFile)}`);
      }
      if (this.o.stateDir) {
        const before = await this.record(key);
        const port = this.ports.get(key) ?? (Number(spec.env.PORT) || 0);
        await this.writeRecord({ key, port, spec, startedAt: new Date().toISOString(), pid: child.pid });
        // A release kept from before a restart and not relaunched (its process is not in the map): replaced now.
        if (before?.spec && before.spec.cwd !== spec.cwd) await rm(before.spec.cwd, { recursive: true, force: true });
      }
      return { pid: child.pid };
    } finally {
      this.startingKeys.delete(key);
    }
  }

  isRunning(key: string): boolean {
    const s = this.services.get(key);
    return Boolean(s && s.child.exitCode === null && s.child.signalCode === null);
  }

  /** Whether this instance is starting the key's service now. */
  isStarting(key: string): boolean {
    return this.startingKeys.has(key);
  }

  /**
   * SIGTERM to the key's process group, SIGKILL after the grace. Its release directory is removed,
   * unless it is `keepDir` (the one about to start); `forget` also removes the key's service file
   * (a deleted module: nothing to relaunch).
   */
  stop(key: string, o: { keepDir?: string; forget?: boolean } = {}): Promise<void> {
    return this.serial(key, () => this.stopNow(key, o));
  }

  private async stopNow(key: string, o: { keepDir?: string; forget?: boolean }): Promise<void> {
    const s = this.services.get(key);
    if (s) {
      this.services.delete(key);
      await stopGroup(s, this.o.stopGraceMs ?? 5000);
      if (s.cwd !== o.keepDir) await rm(s.cwd, { recursive: true, force: true });
    }
    // The key's process this supervisor never started: left by a Slipway killed with -9, or started
    // by another instance on this host. Its service file names it; ended too, or its port stays taken.
    const r = await this.record(key);
    if (r?.pid && r.spec && r.pid !== s?.child.pid) await stopStray(r.pid, r.spec.cwd, this.o.stopGraceMs ?? 5000);
    if (o.forget) {
      const r = await this.record(key);
      if (r?.spec && r.spec.cwd !== o.keepDir) await rm(r.spec.cwd, { recursive: true, force: true });
      if (this.o.stateDir) await rm(this.recordPath(key), { force: true });
      this.ports.delete(key);
    }
  }

  /**
   * Starts the key's recorded service again, from its kept release folder and on its port
   * (Slipway restarted, or a person asked). Undefined when there is nothing recorded to start.
   */
  async relaunch(key: string): Promise<{ pid: number } | undefined> {
    const r = await this.record(key);
    if (!r?.spec || !existsSync(r.spec.cwd)) return undefined;
    this.ports.set(key, r.port);
    return this.start(key, r.spec);
  }

  /** Stops every service, keeping their release folders and service files (relaunched at the next start). */
  async stopAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.services.keys()].map((k) => this.serial(k, () => this.stopNow(k, { keepDir: this.services.get(k)?.cwd }))));
  }

  /** The key's service file, if any. */
  async record(key: string): Promise<ServiceRecord | undefined> {
    if (!this.o.stateDir) return undefined;
    try {
      const r = JSON.parse(await readFile(this.recordPath(key), 'utf8')) as ServiceRecord;
      return typeof r.port === 'number' && r.key === key ? r : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every service file (ports only, or services started at least once). */
  async records(): Promise<ServiceRecord[]> {
    if (!this.o.stateDir) return [];
    const names = await readdir(this.o.stateDir).catch(() => [] as string[]);
    const out: ServiceRecord[] = [];
    for (const n of names.filter((x) => x.endsWith('.json'))) {
      const r = await this.record(decodeURIComponent(n.slice(0, -5)));
      if (r) out.push(r);
    }
    return out;
  }

  private recordPath(key: string): string {
    return join(this.o.stateDir!, `${encodeURIComponent(key)}.json`);
  }

  /** Written whole (a temporary file renamed over it); `exclusive`: only when the key has none. */
  private async writeRecord(r: ServiceRecord, o: { exclusive?: boolean } = {}): Promise<void> {
    await mkdir(this.o.stateDir!, { recursive: true, mode: 0o700 });
    const path = this.recordPath(r.key);
    // The environment is the pipeline's (no Slipway secret), but it is the module's: the server's user only.
    if (o.exclusive) return writeFile(path, JSON.stringify(r), { flag: 'wx', mode: 0o600 });
    const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(tmp, JSON.stringify(r), { mode: 0o600 });
    await rename(tmp, path);
  }

  private serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.queues.set(key, settled);
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key);
    });
    return next;
  }
}

async function stopGroup(s: Service, graceMs: number): Promise<void> {
  const pid = s.child.pid;
  if (!pid || s.child.exitCode !== null || s.child.signalCode !== null) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* gone */
    }
  };
  signal('SIGTERM');
  const ended = await Promise.race([s.exited.then(() => true), delay(graceMs).then(() => false)]);
  signal('SIGKILL');
  if (!ended) await Promise.race([s.exited, delay(2000)]);
}

/**
 * Ends process group `pid` if it is still the service that ran from `cwd`: its working directory
 * (the spawned process's, bwrap's included) is that release folder, unique per start, so a pid the
 * system reused for something else is left alone.
 */
async function stopStray(pid: number, cwd: string, graceMs: number): Promise<void> {
  let want = cwd;
  try {
    want = realpathSync(cwd);
  } catch {
    /* gone: nothing can run from it */
  }
  const same = () => {
    try {
      return readlinkSync(`/proc/${pid}/cwd`) === want;
    } catch {
      return false; // gone, a zombie, or not ours to read
    }
  };
  if (!same()) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* gone */
    }
  };
  signal('SIGTERM');
  for (const end = Date.now() + graceMs; same() && Date.now() < end; ) await delay(100);
  if (same()) signal('SIGKILL');
  for (const end = Date.now() + 2000; same() && Date.now() < end; ) await delay(50);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' / ') || 'no output';
  } catch {
    return 'no output';
  }
}

async function freePort(host: string): Promise<number> {
  const srv = createServer();
  srv.listen(0, host);
  await once(srv, 'listening');
  const addr = srv.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  await new Promise((r) => srv.close(r));
  return port;
}
