import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { once } from 'node:events';
import type { Sandbox } from './sandbox.ts';

/**
 * The long-running processes the local runner's deploy stage starts (`deploy.start`): one per
 * application and branch, on a port that stays the same for that key while Slipway runs. Starting a
 * key again replaces its process; `stopAll` ends them all when Slipway stops. Each runs in its own
 * process group, so stopping it stops whatever it spawned.
 */
export interface ServiceSpec {
  command: string;
  /** The release directory it runs from; removed when the service is replaced or stopped. */
  cwd: string;
  env: Record<string, string>;
  /** stdout and stderr are appended here. */
  logFile: string;
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
  private closed = false;

  /** Services run in `sandbox` (host network: they listen on a host loopback port), their release folder writable. */
  constructor(private readonly o: { sandbox: Sandbox; host?: string; stopGraceMs?: number }) {}

  get host(): string {
    return this.o.host ?? '127.0.0.1';
  }

  /** A free port for `key`, the same one every time for that key. */
  async portFor(key: string): Promise<number> {
    const known = this.ports.get(key);
    if (known) return known;
    const port = await freePort(this.host);
    this.ports.set(key, port);
    return port;
  }

  /**
   * Stops the key's current process, then starts `spec`. Resolves once it has survived a short
   * while; rejects with the tail of its log when it exits at once.
   */
  async start(key: string, spec: ServiceSpec): Promise<{ pid: number }> {
    if (this.closed) throw new Error('the service supervisor is stopped');
    await this.stop(key, { keepDir: spec.cwd });
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
    return { pid: child.pid };
  }

  isRunning(key: string): boolean {
    const s = this.services.get(key);
    return Boolean(s && s.child.exitCode === null && s.child.signalCode === null);
  }

  /** SIGTERM to the key's process group, SIGKILL after the grace; its release directory is removed. */
  async stop(key: string, o: { keepDir?: string } = {}): Promise<void> {
    const s = this.services.get(key);
    if (!s) return;
    this.services.delete(key);
    await stopGroup(s, this.o.stopGraceMs ?? 5000);
    if (s.cwd !== o.keepDir) await rm(s.cwd, { recursive: true, force: true });
  }

  async stopAll(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.services.keys()].map((k) => this.stop(k)));
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
