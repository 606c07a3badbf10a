/**
 * Real `slipway start` processes for the chaos tests: each instance keeps its port across restarts
 * (browsers and senders reconnect to the same address), is killed with SIGKILL by the pid this
 * module spawned (never by name), and is stopped for good by `stopAll`, whatever happened before.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../test-support/postgres.ts';

const BIN = resolve(import.meta.dirname, '../../bin/slipway.mjs');

export interface Instance {
  name: string;
  port: number;
  url: string;
  /** The process of this life of the instance (undefined while it is down). */
  child: ChildProcess | undefined;
  /** Lives so far (1 after the first start). */
  lives: number;
  /** The last lines it wrote to stderr, for failure messages. */
  stderrTail: string[];
}

export class Cluster {
  readonly instances: Instance[] = [];
  private readonly everyChild = new Set<ChildProcess>();

  /** `env`: what every instance shares (database, Redis, data folder, secrets); PORT is each one's own. */
  constructor(private readonly env: Record<string, string>) {}

  async add(name: string): Promise<Instance> {
    const port = await freePort();
    const instance: Instance = { name, port, url: `http://127.0.0.1:${port}`, child: undefined, lives: 0, stderrTail: [] };
    this.instances.push(instance);
    await this.start(instance);
    return instance;
  }

  /** Starts (or restarts) the instance on its port and waits until it is ready (/readyz answers 200). */
  async start(i: Instance, timeoutMs = 60_000): Promise<void> {
    const child = spawn(process.execPath, [BIN, 'start'], {
      env: { ...process.env, ...this.env, PORT: String(i.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.everyChild.add(child);
    child.once('exit', () => this.everyChild.delete(child));
    child.stderr!.on('data', (d: Buffer) => {
      i.stderrTail.push(...d.toString('utf8').split('\n').filter(Boolean));
      i.stderrTail.splice(0, Math.max(0, i.stderrTail.length - 30));
    });
    i.child = child;
    i.lives++;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${i.name} exited at start (${child.exitCode ?? child.signalCode}): ${i.stderrTail.join('\n')}`);
      const ok = await fetch(`${i.url}/readyz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`${i.name} was not ready (/readyz) within ${timeoutMs} ms: ${i.stderrTail.join('\n')}`);
      await sleep(100);
    }
  }

  /** kill -9 of this instance's own process; resolves once it has exited. */
  async kill(i: Instance): Promise<void> {
    const child = i.child;
    i.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** Stops every process this cluster ever started: SIGTERM, then SIGKILL after `graceMs`. */
  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all(
      [...this.everyChild].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        const timer = sleep(graceMs).then(() => child.kill('SIGKILL'));
        await Promise.race([exited, timer]);
        if (child.exitCode === null && child.signalCode === null) await exited;
      }),
    );
    for (const i of this.instances) i.child = undefined;
  }
}
