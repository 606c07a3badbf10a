import { createHmac } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBareRepo, PushEvents, ZERO_SHA } from '../git/index.ts';
import { git, tempDir } from '../git/test-helpers.ts';
import { JobQueue } from '../jobs/job-queue.ts';
import { openTestDatabase } from '../test-support/database.ts';
import { CHECKOUT_OWNER } from './checkout.ts';
import { LocalRunner } from './local-runner.ts';
import { ServiceSupervisor } from './services.ts';
import { testSandbox } from './test-sandbox.ts';

const SECRET = 'runner-test-secret';

/** Stands in for Slipway's webhook intake: keeps every report whose signature is right. */
async function startReceiver(): Promise<{ url: string; reports: any[]; server: Server }> {
  const reports: any[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const expected = `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
      if (req.headers['x-webhook-signature'] !== expected) {
        res.writeHead(401).end();
        return;
      }
      reports.push(JSON.parse(raw.toString('utf8')));
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}`, reports, server };
}

const SERVER_JS = `
const http = require('node:http');
http.createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  if (req.url === '/api/' + process.env.SLIPWAY_MODULE) return res.end(JSON.stringify({ module: process.env.SLIPWAY_MODULE, commit: process.env.SLIPWAY_SHA7 }));
  res.statusCode = 404; res.end();
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const GOOD_PIPELINE = `
build:
  - name: Syntax check
    run: node --check server.cjs
  - name: Greet
    run: echo "building $SLIPWAY_APP on $SLIPWAY_BRANCH"; echo "a warning" >&2
docker:
  file: Dockerfile
deploy:
  start: node server.cjs
  moduleUrl: http://127.0.0.1:\${PORT}/api/\${SLIPWAY_MODULE}
health:
  url: http://127.0.0.1:\${PORT}
  path: /health
  timeoutSeconds: 20
`;

const BAD_PIPELINE = `
build:
  - name: Compile
    run: |
      echo "compiling"
      echo "error: products.json: field 'owner' is not supported" >&2
      exit 3
  - name: Never
    run: echo "must not run"
deploy:
  run: echo deployed
`;

describe('LocalRunner on hosted repositories', () => {
  const tmp = tempDir('runner');
  const reposDir = join(tmp.dir, 'repos');
  const workDir = join(tmp.dir, 'runner');
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let runner: LocalRunner;
  let jobs: JobQueue;
  const sandbox = testSandbox([tmp.dir]);
  const supervisor = new ServiceSupervisor({ sandbox, stopGraceMs: 2000 });
  const pushEvents = new PushEvents();

  beforeAll(async () => {
    db = await openTestDatabase('sqlite');
    receiver = await startReceiver();
    jobs = new JobQueue(db.db, db.traits, { pollMs: 100 });
    runner = new LocalRunner({
      db: db.db,
      jobs,
      pushEvents,
      applications: { get: (id) => ({ id, baseBranch: 'main' }) },
      reposDir,
      workDir,
      supervisor,
      sandbox,
      secret: () => SECRET,
      pipeline: { dockerAvailable: async () => false },
      batchMs: 200,
      sendRetries: 0,
      reconcileIntervalMs: 300,
    });
    runner.start(receiver.url);
  });

  afterAll(async () => {
    await runner.stop();
    receiver.server.close();
    await db.dispose();
    tmp.cleanup();
  });

  async function pushRepo(app: string, branch: string, files: Record<string, string>): Promise<string> {
    const { path } = await ensureBareRepo(reposDir, app, { branch, initialFiles: Object.entries(files).map(([p, content]) => ({ path: p, content })) });
    const sha = git(path, ['rev-parse', `refs/heads/${branch}`]);
    pushEvents.emit({ app, updates: [{ ref: `refs/heads/${branch}`, before: ZERO_SHA, after: sha }] });
    return sha;
  }

  async function finalReport(app: string): Promise<any> {
    const end = Date.now() + 45_000;
    for (;;) {
      const last = receiver.reports.find((r) => r.applicationId === app && (r.status === 'done' || r.status === 'error'));
      if (last) return last;
      if (Date.now() > end) throw new Error(`no final report for ${app}: ${JSON.stringify(receiver.reports.filter((r) => r.applicationId === app))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('a passing pipeline: build, Docker skipped, service started, health checked, done with the live URL', async () => {
    const sha = await pushRepo('shop', 'module/products', { '.slipway/pipeline.yaml': GOOD_PIPELINE, 'server.cjs': SERVER_JS });
    const done = await finalReport('shop');
    const mine = receiver.reports.filter((r) => r.applicationId === 'shop');
    expect(done).toMatchObject({
      status: 'done',
      deploymentId: `local-shop-${sha.slice(0, 7)}`,
      branch: 'module/products',
      commit: sha,
      moduleName: 'products',
      isModuleBranch: true,
      message: "Module 'products' deployed successfully! 🎉",
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/products$/),
    });
    // Stages in order, each reported as CI reports them.
    const stages = mine.filter((r) => r.status === 'running').map((r) => r.stage);
    expect(stages[0]).toBe('build');
    expect(stages).toContain('deploy');
    expect(stages.indexOf('deploy')).toBeLessThan(stages.indexOf('health'));
    const lines = mine.flatMap((r) => r.logs ?? []);
    expect(lines).toContain('building shop on module/products');
    expect(lines).toContain('a warning');
    expect(lines).toContain('Docker engine not available (docker info failed): skipping the Docker build');

    const res = await fetch(done.url);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ module: 'products', commit: sha.slice(0, 7) });
    expect(supervisor.isRunning('shop/module-products')).toBe(true);
    // The checkout is gone; the release the service runs from stays.
    expect(readdirSync(join(workDir, 'checkouts', CHECKOUT_OWNER))).toEqual([]);
    expect(readdirSync(join(workDir, 'releases', 'shop'))).toHaveLength(1);
  });

  it('a failing build stops at the failing step and reports error with its log lines', async () => {
    await pushRepo('broken', 'module/orders', { '.slipway/pipeline.yaml': BAD_PIPELINE });
    const error = await finalReport('broken');
    expect(error).toMatchObject({ status: 'error', stage: 'build', message: "Build failed: 'Compile' failed (exit 3)" });
    const lines = receiver.reports.filter((r) => r.applicationId === 'broken').flatMap((r) => r.logs ?? []);
    expect(lines).toEqual(expect.arrayContaining(['compiling', "error: products.json: field 'owner' is not supported", '✗ Compile: exit 3']));
    expect(lines).not.toContain('must not run');
    expect(receiver.reports.some((r) => r.applicationId === 'broken' && r.stage === 'deploy')).toBe(false);
  });

  it('a push acknowledged just before the process died (no push event) is built by the periodic reconciliation, once', async () => {
    const { path } = await ensureBareRepo(reposDir, 'lost', { branch: 'module/lost', initialFiles: [{ path: '.slipway/pipeline.yaml', content: BAD_PIPELINE }] });
    const sha = git(path, ['rev-parse', 'refs/heads/module/lost']);
    // Nobody announces it: the runner's own pass finds it.
    expect(await finalReport('lost')).toMatchObject({ status: 'error', commit: sha, branch: 'module/lost' });
    const job = await db.db.selectFrom('jobs').select('id').where('dedupe_key', '=', `runner:lost:module/lost:${sha}`).executeTakeFirstOrThrow();
    const first = await runner.reconcile();
    expect(await runner.reconcile()).toEqual(first);
    expect(first).toContain(job.id);
    expect(receiver.reports.filter((r) => r.applicationId === 'lost' && r.status === 'error')).toHaveLength(1);
    // Main and other branches are not reconciled: only module branches wait for a deployment.
    expect(first.length).toBe((await db.db.selectFrom('jobs').select('id').where('dedupe_key', 'like', 'runner:%:module/%').execute()).length);
  });

  it('an invalid pipeline file fails naming the key; other branches and deletions are not run', async () => {
    await pushRepo('typo', 'main', { '.slipway/pipeline.yaml': 'build:\n  - name: x\n    command: ls\n' });
    const error = await finalReport('typo');
    expect(error.message).toContain('.slipway/pipeline.yaml is invalid: build[0].run');

    expect(await runner.onPush({ app: 'typo', updates: [{ ref: 'refs/heads/feature/x', before: ZERO_SHA, after: 'a'.repeat(40) }] })).toEqual([]);
    expect(await runner.onPush({ app: 'typo', updates: [{ ref: 'refs/heads/module/x', before: 'a'.repeat(40), after: ZERO_SHA }] })).toEqual([]);
    // The same push twice is one job.
    const u = [{ ref: 'refs/heads/module/y', before: ZERO_SHA, after: 'b'.repeat(40) }];
    const [first] = await runner.onPush({ app: 'nowhere', updates: u });
    expect(await runner.onPush({ app: 'nowhere', updates: u })).toEqual([first]);
    expect(existsSync(join(reposDir, 'nowhere.git'))).toBe(false);
  });
});
