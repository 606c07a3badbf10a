import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Sandbox } from './sandbox.ts';

/** Longest line kept (the webhook schema's limit); longer lines are cut with an ellipsis. */
export const MAX_LINE_LENGTH = 2000;

export interface StepOptions {
  /** Run with `bash -c`. */
  command: string;
  cwd: string;
  /** The whole environment: nothing is inherited (Slipway's own secrets stay out of builds). */
  env: Record<string, string>;
  timeoutMs: number;
  onLine: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Aborting kills the step like a timeout does. */
  signal?: AbortSignal;
  /**
   * Repository code runs in it, with `cwd` as its only writable folder. Only Slipway's own probes
   * (`docker info`, the Docker build it composes) run without one.
   */
  sandbox?: Sandbox;
}

export interface StepResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}

export const stepSucceeded = (r: StepResult) => r.code === 0 && !r.timedOut && !r.aborted;

// The sandbox's limits end a process with these; a shell (and bwrap) reports them as 128 + signal.
const LIMIT_SIGNALS: Record<number, string> = {
  [constants.signals.SIGXCPU]: 'SIGXCPU: the CPU time limit',
  [constants.signals.SIGXFSZ]: 'SIGXFSZ: the file size limit',
  [constants.signals.SIGKILL]: 'SIGKILL',
};

/** "exit 1", "timed out after 600 s", "exit 152 (SIGXCPU: the CPU time limit)": for log lines and messages. */
export function describeStepEnd(r: StepResult, timeoutMs: number): string {
  if (r.timedOut) return `timed out after ${Math.round(timeoutMs / 1000)} s`;
  if (r.aborted) return 'cancelled';
  if (r.code !== null) return LIMIT_SIGNALS[r.code - 128] ? `exit ${r.code} (${LIMIT_SIGNALS[r.code - 128]})` : `exit ${r.code}`;
  return `killed by ${r.signal ?? 'a signal'}`;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07/g;

/** A display line: colours removed, carriage-return redraws collapsed to their final state, capped. */
export function cleanLine(raw: string): string {
  const parts = raw.replace(ANSI, '').split('\r');
  const last = [...parts].reverse().find((p) => p.length > 0) ?? '';
  return last.length > MAX_LINE_LENGTH ? `${last.slice(0, MAX_LINE_LENGTH - 1)}…` : last;
}

/** Splits a byte stream into lines, holding back the unfinished tail. */
class LineSplitter {
  private rest = '';
  constructor(private readonly emit: (line: string) => void) {}
  push(chunk: Buffer): void {
    const text = this.rest + chunk.toString('utf8');
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    // A line without a newline for a long time (a progress bar) is still cut at a bound.
    if (this.rest.length > MAX_LINE_LENGTH * 4) {
      lines.push(this.rest);
      this.rest = '';
    }
    for (const l of lines) this.emit(cleanLine(l));
  }
  end(): void {
    if (this.rest) this.emit(cleanLine(this.rest));
    this.rest = '';
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* the group is gone already */
  }
}

/**
 * Runs one pipeline command in its own process group: stdout and stderr stream out line by line;
 * on timeout or abort the whole group gets SIGTERM, then SIGKILL 5 s later. When the command
 * exits, whatever it left running in its group is killed too, so a step never leaks processes
 * (long-running services go through the ServiceSupervisor instead).
 */
export function runStep(o: StepOptions): Promise<StepResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    // bwrap stays in the group it is started in (no --new-session), so the group kill below reaches
    // the command; killing bwrap also ends its PID namespace, so nothing it started survives.
    const { file, args } = o.sandbox?.command({ argv: ['bash', '-c', o.command], cwd: o.cwd, writable: [o.cwd], network: true }) ?? { file: 'bash', args: ['-c', o.command] };
    const child = spawn(file, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const out = new LineSplitter((l) => o.onLine(l, 'stdout'));
    const err = new LineSplitter((l) => o.onLine(l, 'stderr'));
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, Math.max(1, o.timeoutMs));
    const onAbort = () => {
      aborted = true;
      stop();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      o.signal?.removeEventListener('abort', onAbort);
      killGroup(child.pid, 'SIGKILL');
      out.end();
      err.end();
      resolve({ code, signal, timedOut, aborted, durationMs: Date.now() - started });
    };
    child.on('error', (e) => {
      o.onLine(`could not start ${file}: ${e.message}`, 'stderr');
      finish(127, null);
    });
    child.on('exit', (code, signal) => {
      // Let the pipes deliver what is already written; a background child holding them open
      // must not hold the step: it is killed with the group.
      const grace = setTimeout(() => finish(code, signal), 200);
      child.once('close', () => {
        clearTimeout(grace);
        finish(code, signal);
      });
    });
  });
}
