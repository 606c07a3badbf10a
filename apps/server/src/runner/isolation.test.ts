import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database.ts';
import { ensureBareRepo, PushEvents, ZERO_SHA } from '../git/index.ts';
import { git, tempDir } from '../git/test-helpers.ts';
import { JobQueue } from '../jobs/job-queue.ts';
import { openTestDatabase } from '../test-support/database.ts';
import { CHECKOUT_OWNER } from './checkout.ts';
import { LocalRunner } from './local-runner.ts';
import { runPipeline } from './pipeline-run.ts';
import { Sandbox } from './sandbox.ts';
import { ServiceSupervisor } from './services.ts';
import { describeStepEnd, runStep, stepSucceeded } from './step-runner.ts';
import { TEST_LIMITS, testSandbox } from './test-sandbox.ts';

/**
 * A pipeline is code from whoever can push: here it tries what an attacker would, against a real
 * data folder (webhook secret, SQLite database), a process standing in for the server with the
 * secret in its environment, and the runner's own process. Real bwrap, real processes.
 */
const SECRET = `runner-secret-${process.pid}-9e107d9d372bb682`;

async function startReceiver(): Promise<{ url: string; reports: any[]; server: Server }> {
  const reports: any[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const ok = req.headers['x-webhook-signature'] === `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
      if (ok) reports.push(JSON.parse(raw.toString('utf8')));
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, reports, server };
}

describe('pipelines run isolated', () => {
  const tmp = tempDir('isolation');
  const dataDir = join(tmp.dir, 'data');
  const secretFile = join(dataDir, 'webhook-secret');
  const dbFile = join(dataDir, 'slipway.db');
  const reposDir = join(dataDir, 'repos');
  const workDir = join(dataDir, 'runner');
  const sandbox = testSandbox([dataDir, dbFile]);
  const supervisor = new ServiceSupervisor({ sandbox, stopGraceMs: 1000 });
  const pushEvents = new PushEvents();
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let runner: LocalRunner;
  let standIn: ChildProcess;

  beforeAll(async () => {
    mkdirSync(dataDir, { recursive: true });
    chmodSync(dataDir, 0o700);
    writeFileSync(secretFile, SECRET, { mode: 0o600 });
    const sqlite = openDatabase({ database: { kind: 'sqlite', file: dbFile } });
    await sqlite.migrate();
    await sqlite.close();
    // The server's environment holds its secrets: a process with the secret in its environ.
    standIn = spawn('sleep', ['120'], { env: { PATH: '/usr/bin:/bin', DOKPLOY_WEBHOOK_SECRET: SECRET } });
    process.env.SLIPWAY_ISOLATION_TEST_SECRET = SECRET;
    expect(await sandbox.check()).toEqual({ ok: true });
    db = await openTestDatabase('sqlite');
    receiver = await startReceiver();
    runner = new LocalRunner({
      db: db.db,
      jobs: new JobQueue(db.db, db.traits, { pollMs: 100 }),
      pushEvents,
      applications: { get: (id) => ({ id, baseBranch: 'main' }) },
      reposDir,
      workDir,
      supervisor,
      sandbox,
      secret: () => SECRET,
      env: process.env,
      pipeline: { dockerAvailable: async () => false },
      batchMs: 200,
      sendRetries: 0,
    });
    runner.start(receiver.url);
  });

  afterAll(async () => {
    await runner.stop();
    receiver.server.close();
    standIn.kill('SIGKILL');
    delete process.env.SLIPWAY_ISOLATION_TEST_SECRET;
    await db.dispose();
    tmp.cleanup();
  });

  async function run(app: string, files: Record<string, string>): Promise<{ final: any; lines: string[] }> {
    const { path } = await ensureBareRepo(reposDir, app, { branch: 'module/orders', initialFiles: Object.entries(files).map(([p, content]) => ({ path: p, content })) });
    pushEvents.emit({ app, updates: [{ ref: 'refs/heads/module/orders', before: ZERO_SHA, after: git(path, ['rev-parse', 'refs/heads/module/orders']) }] });
    const end = Date.now() + 60_000;
    for (;;) {
      const mine = receiver.reports.filter((r) => r.applicationId === app);
      const final = mine.find((r) => r.status === 'done' || r.status === 'error');
      if (final) return { final, lines: mine.flatMap((r) => r.logs ?? []) };
      if (Date.now() > end) throw new Error(`no final report for ${app}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('a hostile step reads no secret, no database, no server environment, and writes only its checkout; the log says why', async () => {
    const attack = [
      // Each attempt prints LEAK with what it got, or DENIED with the error the deployment shows.
      'attempt() { if out=$(eval "$2" 2>&1); then echo "LEAK $1: $out"; else echo "DENIED $1: $out"; fi; }',
      `attempt secret "cat ${secretFile}"`,
      `attempt database "head -c 64 ${dbFile}"`,
      `attempt repositories "ls ${reposDir}"`,
      `attempt server-environ "cat /proc/${standIn.pid}/environ"`,
      `attempt runner-environ "cat /proc/${process.pid}/environ"`,
      `attempt server-process "test -e /proc/${process.pid}/status"`,
      `attempt own-environment "env | grep -F ${SECRET.slice(0, 20)}"`,
      `attempt write-data "touch ${join(dataDir, 'pwned')}"`,
      'attempt write-parent "touch ../escaped"',
      'attempt write-system "touch /usr/pwned"',
      'attempt write-root "touch /pwned"',
      'attempt write-etc "touch /etc/pwned"',
      'attempt root "test $(id -u) -eq 0"',
      'echo "checkout writable: $(touch built.txt && echo yes)"',
      'echo "processes visible: $(ls /proc | grep -c "^[0-9]")"',
    ].join('\n');
    const pipeline = `build:\n  - name: Attack\n    run: |\n${attack.split('\n').map((l) => `      ${l}`).join('\n')}\n`;
    const { final, lines } = await run('hostile', { '.slipway/pipeline.yaml': pipeline });
    expect(final.status).toBe('done');
    expect(JSON.stringify(lines)).not.toContain(SECRET);
    expect(lines.filter((l) => l.startsWith('LEAK'))).toEqual([]);
    const denied = (what: string) => lines.find((l) => l.startsWith(`DENIED ${what}:`));
    expect(denied('secret')).toMatch(/No such file or directory/);
    expect(denied('database')).toMatch(/No such file or directory/);
    expect(denied('repositories')).toMatch(/No such file or directory/);
    expect(denied('server-environ')).toMatch(/No such file or directory/);
    expect(denied('runner-environ')).toMatch(/No such file or directory/);
    expect(denied('server-process')).toBeDefined();
    expect(denied('own-environment')).toBeDefined();
    expect(denied('write-data')).toMatch(/Read-only file system|Permission denied|No such file/);
    expect(denied('write-parent')).toMatch(/Read-only file system|Permission denied/);
    expect(denied('write-system')).toMatch(/Read-only file system|Permission denied/);
    expect(denied('write-root')).toMatch(/Read-only file system|Permission denied/);
    expect(denied('write-etc')).toMatch(/Read-only file system|Permission denied/);
    expect(denied('root')).toBeDefined();
    expect(lines).toContain('checkout writable: yes');
    // Its own PID namespace: bwrap's init, bash and its subshells, not the host's processes.
    expect(Number(lines.find((l) => l.startsWith('processes visible:'))!.split(': ')[1])).toBeLessThanOrEqual(8);
    expect(existsSync(join(dataDir, 'pwned'))).toBe(false);
    expect(readdirSync(join(workDir, 'checkouts', CHECKOUT_OWNER))).toEqual([]);
    expect(existsSync('/usr/pwned')).toBe(false);
  });

  it('a service runs isolated too, and still answers on its host loopback port', async () => {
    const server = `require('node:http').createServer((q, s) => { let r; try { r = require('node:fs').readFileSync(${JSON.stringify(secretFile)}, 'utf8') } catch (e) { r = 'DENIED ' + e.code } s.end(r + ' ' + process.getuid()) }).listen(Number(process.env.PORT), '127.0.0.1');`;
    const pipeline = 'deploy:\n  start: node server.cjs\n  moduleUrl: http://127.0.0.1:${PORT}/api/${SLIPWAY_MODULE}\nhealth:\n  timeoutSeconds: 20\n';
    const { final } = await run('service', { '.slipway/pipeline.yaml': pipeline, 'server.cjs': server });
    expect(final).toMatchObject({ status: 'done' });
    const body = await (await fetch(final.url)).text();
    expect(body).toBe(`DENIED ENOENT 65534`);
    // Stopping it stops everything in its sandbox.
    await supervisor.stop('service/module-orders');
    await expect(fetch(final.url)).rejects.toThrow();
  });

  it('refuses to run when the sandbox cannot start, and says so in the deployment', async () => {
    const broken = new Sandbox({ mode: 'bwrap', uid: 65534, limits: TEST_LIMITS, hidden: [], bwrap: '/nonexistent/bwrap' });
    const repo = await ensureBareRepo(join(tmp.dir, 'other-repos'), 'app', { branch: 'main', initialFiles: [{ path: '.slipway/pipeline.yaml', content: 'build:\n  - name: x\n    run: touch /tmp/must-not-run\n' }] });
    const lines: string[] = [];
    const outcome = await runPipeline(
      { app: { id: 'app', baseBranch: 'main' }, repoDir: repo.path, branch: 'main', commit: git(repo.path, ['rev-parse', 'main']) },
      { workDir: join(tmp.dir, 'other-work'), supervisor: new ServiceSupervisor({ sandbox: broken }), sandbox: broken },
      { stage: () => undefined, line: (l) => lines.push(l) },
    );
    expect(outcome).toMatchObject({ kind: 'failed', stage: 'build' });
    expect(outcome.message).toMatch(/^Pipelines do not run on this server: the sandbox is unavailable \(bubblewrap is not installed .*\)\. Install bubblewrap, or set SLIPWAY_RUNNER_ISOLATION=none/);
    expect(lines).toEqual([]);
  });

  it('SLIPWAY_RUNNER_ISOLATION=none runs unisolated only when asked, and says so in the log', async () => {
    const none = new Sandbox({ mode: 'none', uid: 65534, limits: TEST_LIMITS, hidden: [] });
    const repo = await ensureBareRepo(join(tmp.dir, 'none-repos'), 'app', { branch: 'main', initialFiles: [{ path: '.slipway/pipeline.yaml', content: 'build:\n  - name: who\n    run: id -u\n' }] });
    const lines: string[] = [];
    const outcome = await runPipeline(
      { app: { id: 'app', baseBranch: 'main' }, repoDir: repo.path, branch: 'main', commit: git(repo.path, ['rev-parse', 'main']) },
      { workDir: join(tmp.dir, 'none-work'), supervisor: new ServiceSupervisor({ sandbox: none }), sandbox: none },
      { stage: () => undefined, line: (l) => lines.push(l) },
    );
    expect(outcome.kind).toBe('success');
    expect(lines[0]).toBe("⚠ SLIPWAY_RUNNER_ISOLATION=none: this pipeline runs unisolated, as the server's user");
    expect(lines).toContain(String(process.getuid?.()));
  });
});

describe('sandbox limits stop runaway steps', () => {
  // A uid of their own, so the process count and the leftovers are this test's alone.
  const UID = 64999;
  const tmp = tempDir('limits');
  afterAll(() => tmp.cleanup());

  const step = async (command: string, limits: Partial<typeof TEST_LIMITS>, timeoutMs = 30_000) => {
    const cwd = mkdtempSync(join(tmp.dir, 'step-'));
    const sandbox = new Sandbox({ mode: 'bwrap', uid: UID, limits: { ...TEST_LIMITS, ...limits }, hidden: [] });
    await sandbox.handOver(cwd);
    const lines: string[] = [];
    const r = await runStep({ command, cwd, env: { PATH: '/usr/bin:/bin', HOME: '/tmp' }, timeoutMs, onLine: (l) => lines.push(l), sandbox });
    return { ...r, lines, cwd };
  };
  /** Processes of the test's sandbox uid still alive after a short while (the kernel kills a PID namespace asynchronously). */
  const leftovers = async () => {
    if (process.getuid?.() !== 0) return 0;
    let count = 0;
    for (let i = 0; i < 20; i++) {
      try {
        count = Number(execFileSync('pgrep', ['-c', '-u', String(UID)], { encoding: 'utf8' }).trim());
      } catch {
        return 0; // pgrep exits 1 when nothing matches
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return count;
  };

  it('a fork bomb hits the process limit and ends with its step, leaving nothing behind', async () => {
    const r = await step(':(){ :|:& };:; sleep 3; echo survived', { processes: 64 }, 8000);
    expect(r.lines.some((l) => /fork|Resource temporarily unavailable/.test(l))).toBe(true);
    expect(await leftovers()).toBe(0);
    // The user's process budget is free again.
    expect(stepSucceeded(await step('echo ok', { processes: 64 }))).toBe(true);
  });

  it('a memory hog is stopped by the memory limit, well before the timeout', async () => {
    const r = await step(`node -e "const a = []; for (;;) a.push(Buffer.alloc(1e6).fill(1))"`, { memoryBytes: 256 * 1024 * 1024 });
    expect(stepSucceeded(r)).toBe(false);
    expect(r.timedOut).toBe(false);
    expect(r.durationMs).toBeLessThan(20_000);
  });

  it('a CPU loop is stopped by the CPU-time limit', async () => {
    const r = await step('while :; do :; done', { cpuSeconds: 2 });
    expect(r.timedOut).toBe(false);
    expect(describeStepEnd(r, 30_000)).toBe('exit 152 (SIGXCPU: the CPU time limit)');
    expect(r.durationMs).toBeLessThan(15_000);
  });

  it('a file larger than the file-size limit is cut, and the step fails', async () => {
    const r = await step('head -c 5000000 /dev/zero > big.bin', { fileSizeBytes: 1024 * 1024 });
    expect(describeStepEnd(r, 30_000)).toBe('exit 153 (SIGXFSZ: the file size limit)');
    expect(statSync(join(r.cwd, 'big.bin')).size).toBeLessThanOrEqual(1024 * 1024);
  });

  it('the wall-clock timeout still ends a step that sleeps', async () => {
    const r = await step('sleep 30', {}, 1000);
    expect(r.timedOut).toBe(true);
    expect(await leftovers()).toBe(0);
  });
});
