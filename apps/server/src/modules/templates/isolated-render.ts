import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { GeneratedFile, ModuleDefinition } from '@slipway/contracts';
import { safeOutputPath } from './output-path.ts';
import { PackError } from './pack-manifest.ts';
import type { PackContents, RenderOptions } from './render.ts';
import type { WorkerInput } from './render-worker-main.ts';

/**
 * Repository template packs are code from whoever can push (Eta compiles templates to JavaScript),
 * so they render in a child process in the runner's sandbox: no environment, no network, none of
 * the data folder, time and memory bounded. Input on stdin, the files as JSON on stdout, checked
 * here again as if a stranger wrote them. Built-in packs (shipped with Slipway) render in process.
 */

/** What rendering needs of the runner's Sandbox (runner/sandbox.ts). */
export interface PackSandbox {
  readonly mode: 'bwrap' | 'none';
  check(): Promise<{ ok: true } | { ok: false; reason: string }>;
  command(req: {
    argv: string[];
    cwd: string;
    writable: string[];
    readOnly?: string[];
    network: boolean;
    limits?: { memoryBytes?: number; cpuSeconds?: number; tmpBytes?: number };
  }): { file: string; args: string[] };
}

/** A pack error whose message came whole from the renderer (already names the pack or template). */
export class IsolatedPackError extends PackError {
  constructor(pack: string, message: string) {
    super(pack, message);
    this.message = message;
  }
}

export interface IsolatedRenderOptions {
  timeoutMs?: number;
  /** Heap of the renderer (V8's old space), and its RLIMIT_DATA a little above. */
  memoryMb?: number;
  /** Largest answer read (all files' JSON). */
  maxOutputBytes?: number;
}

const ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));
// Compiled (dist/), the worker is plain JavaScript; from the sources (tests), tsx runs it.
const COMPILED = import.meta.url.endsWith('.js');
const WORKER = fileURLToPath(new URL(COMPILED ? './render-worker-main.js' : './render-worker.mjs', import.meta.url));
const TEMPLATES_SRC = fileURLToPath(new URL('./', import.meta.url)).replace(/\/$/, '');
// What the worker reads of Slipway: its own sources, the contracts, and the installed packages.
const SOURCES = [
  TEMPLATES_SRC,
  `${ROOT}packages`,
  `${ROOT}node_modules`,
  `${ROOT}package.json`,
  `${ROOT}apps/server/package.json`,
  `${ROOT}apps/server/node_modules`,
].filter((p) => existsSync(p));
const MAX_MESSAGE = 2000;

/** Renders `pack` in the sandbox; the same answer renderPack gives, or a PackError saying why not. */
export async function renderPackIsolated(
  sandbox: PackSandbox,
  pack: PackContents,
  module: ModuleDefinition,
  options: RenderOptions,
  o: IsolatedRenderOptions = {},
): Promise<GeneratedFile[]> {
  const label = `${pack.name} (${pack.origin})`;
  const ready = await sandbox.check();
  if (!ready.ok) throw new PackError(label, `repository packs render only in the sandbox, which is unavailable here: ${ready.reason}`);
  const memoryMb = o.memoryMb ?? 256;
  const timeoutMs = o.timeoutMs ?? 20_000;
  const input: WorkerInput = {
    pack: { name: pack.name, origin: pack.origin, files: pack.files },
    module,
    generatedAt: options.generatedAt.toISOString(),
    application: options.application,
    ...(options.versions ? { versions: options.versions.map((v) => ({ module: v.module, savedAt: v.savedAt.toISOString() })) } : {}),
  };
  const { file, args } = sandbox.command({
    argv: [process.execPath, `--max-old-space-size=${memoryMb}`, WORKER],
    cwd: sandbox.mode === 'none' ? ROOT : '/tmp',
    writable: [],
    readOnly: SOURCES,
    network: false,
    // tsx's esbuild (from the sources) and V8 need room beyond the heap; CPU time well under the wall clock.
    limits: { memoryBytes: (memoryMb + 768) * 1024 * 1024, cpuSeconds: Math.ceil(timeoutMs / 1000), tmpBytes: 64 * 1024 * 1024 },
  });
  const r = await runWorker(file, args, JSON.stringify(input), timeoutMs, o.maxOutputBytes ?? 32 * 1024 * 1024);
  if (r.problem) throw new PackError(label, `rendering failed: ${r.problem}${r.stderr ? `: ${r.stderr}` : ''}`);
  return readAnswer(r.stdout, label);
}

/** Checks the worker's answer: its shape, every path (inside the repository), no path twice. */
export function readAnswer(stdout: string, label: string): GeneratedFile[] {
  let answer: unknown;
  try {
    answer = JSON.parse(stdout);
  } catch {
    throw new PackError(label, 'the renderer gave no readable answer');
  }
  const a = answer as { files?: unknown; error?: { message?: unknown } };
  if (a && typeof a === 'object' && a.error && typeof a.error === 'object') {
    const message = typeof a.error.message === 'string' ? a.error.message.slice(0, MAX_MESSAGE) : 'unknown error';
    throw new IsolatedPackError(label, message);
  }
  if (!a || typeof a !== 'object' || !Array.isArray(a.files)) throw new PackError(label, 'the renderer gave no files');
  const seen = new Set<string>();
  return a.files.map((f: unknown, i) => {
    const g = f as { path?: unknown; content?: unknown };
    if (!g || typeof g.path !== 'string' || typeof g.content !== 'string') throw new PackError(label, `the renderer's file ${i} is malformed`);
    const path = safeOutputPath(g.path, `${label} file ${i}`);
    if (seen.has(path)) throw new PackError(label, `two files write ${path}`);
    seen.add(path);
    return { path, content: g.content };
  });
}

function runWorker(
  file: string,
  args: string[],
  input: string,
  timeoutMs: number,
  maxBytes: number,
): Promise<{ stdout: string; stderr: string; problem?: string }> {
  return new Promise((resolve) => {
    // No environment at all: the server's secrets are in its own.
    const child = spawn(file, args, { env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' }, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let problem: string | undefined;
    const kill = (why: string) => {
      problem ??= why;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    };
    const timer = setTimeout(() => kill(`it took longer than ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) kill(`its output is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB`);
      else out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 4000) stderr += c.toString('utf8');
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    child.on('error', (e) => {
      problem ??= `the renderer could not start: ${e.message}`;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (!problem && code !== 0) problem = `the renderer ended with ${signal ?? `exit ${code}`}`;
      const tail = stderr.trim().split('\n').slice(-3).join(' / ').slice(0, 600);
      resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: problem ? tail : '', problem });
    });
  });
}
