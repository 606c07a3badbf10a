import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ADMIN, startTestServer, type TestServer } from '../test-support/server.ts';
import { call } from '../test-support/http.ts';
import { DokployStub } from '../test-support/dokploy-stub.ts';
import { git } from '../git/test-helpers.ts';
import { ciInit, CiInitError, formatSecretsTable, generateWebhookSecret, NOTIFY_SOURCE } from './ci-init.ts';
import { NOTIFY_SCRIPT_PATH, renderCiWorkflow, WORKFLOW_PATH } from './ci-workflow.ts';

const require = createRequire(import.meta.url);
const { lintWorkflow } = require('./actionlint.cjs') as { lintWorkflow(text: string, path: string): Promise<{ message: string }[]> };

let repo: string;
beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'slipway-ci-init-'));
  await mkdir(join(repo, '.git'));
  await writeFile(join(repo, 'Dockerfile'), 'FROM scratch\n');
});
afterEach(async () => {
  await rm(repo, { recursive: true, force: true });
});

describe('ci init', () => {
  it('writes a workflow that passes actionlint, and the notifier beside it', async () => {
    const result = await ciInit({ appId: 'backend', dir: repo });
    expect(result.files).toEqual([
      { path: '.github/workflows/ci.yaml', action: 'created' },
      { path: '.slipway/notify.mjs', action: 'created' },
    ]);
    expect(result.warnings).toEqual([]);
    const workflow = await readFile(join(repo, WORKFLOW_PATH), 'utf8');
    expect(workflow).toBe(renderCiWorkflow({ appId: 'backend' }));
    expect(await lintWorkflow(workflow, WORKFLOW_PATH)).toEqual([]);
    expect(await readFile(join(repo, NOTIFY_SCRIPT_PATH), 'utf8')).toBe(await readFile(NOTIFY_SOURCE, 'utf8'));
    expect(result.secrets.map((s) => s.name)).toEqual([
      'BACKEND_DEPLOYMENT_WEBHOOK_URL',
      'DOKPLOY_WEBHOOK_SECRET',
      'DOKPLOY_WEBHOOK_URL',
      'DOKPLOY_WEBHOOK_URL_MODULE',
    ]);
  });

  it('is idempotent: a second run changes nothing', async () => {
    await ciInit({ appId: 'backend', dir: repo });
    const again = await ciInit({ appId: 'backend', dir: repo });
    expect(again.files.map((f) => f.action)).toEqual(['unchanged', 'unchanged']);
  });

  it('refuses to overwrite a different workflow, writing nothing, unless --force', async () => {
    await mkdir(join(repo, '.github/workflows'), { recursive: true });
    await writeFile(join(repo, WORKFLOW_PATH), 'name: mine\n');
    const attempt = ciInit({ appId: 'backend', dir: repo });
    await expect(attempt).rejects.toBeInstanceOf(CiInitError);
    await expect(attempt).rejects.toThrow(/already exists .* --force/);
    expect(await readFile(join(repo, WORKFLOW_PATH), 'utf8')).toBe('name: mine\n');
    expect(existsSync(join(repo, NOTIFY_SCRIPT_PATH))).toBe(false);

    const forced = await ciInit({ appId: 'backend', dir: repo, force: true });
    expect(forced.files[0]).toEqual({ path: WORKFLOW_PATH, action: 'updated' });
    expect(await readFile(join(repo, WORKFLOW_PATH), 'utf8')).toBe(renderCiWorkflow({ appId: 'backend' }));
  });

  it('brings an outdated notifier up to date without --force', async () => {
    await ciInit({ appId: 'backend', dir: repo });
    await writeFile(join(repo, NOTIFY_SCRIPT_PATH), '// old version\n');
    const result = await ciInit({ appId: 'backend', dir: repo });
    expect(result.files[1]).toEqual({ path: NOTIFY_SCRIPT_PATH, action: 'updated' });
    expect(await readFile(join(repo, NOTIFY_SCRIPT_PATH), 'utf8')).toBe(await readFile(NOTIFY_SOURCE, 'utf8'));
  });

  it('refuses a missing directory and bad options', async () => {
    await expect(ciInit({ appId: 'backend', dir: join(repo, 'nope') })).rejects.toThrow(/is not a directory/);
    await expect(ciInit({ appId: 'Bad App', dir: repo })).rejects.toThrow(CiInitError);
    expect(existsSync(join(repo, '.github'))).toBe(false);
  });

  it('warns about what would make the workflow fail or run twice', async () => {
    await rm(join(repo, '.git'), { recursive: true });
    await rm(join(repo, 'Dockerfile'));
    await mkdir(join(repo, '.github/workflows'), { recursive: true });
    await writeFile(join(repo, '.github/workflows/ci.yml'), 'name: old\n');
    const { warnings } = await ciInit({ appId: 'backend', dir: repo });
    expect(warnings).toEqual([
      expect.stringContaining('has no .git'),
      expect.stringContaining('no Dockerfile'),
      expect.stringContaining('ci.yml exists too'),
    ]);
  });
});

describe('secrets', () => {
  it('generates 64 hex characters, like openssl rand -hex 32, different each time', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(generateWebhookSecret()).not.toBe(a);
  });

  it("prints the spec's table: Secret | Value | Required", () => {
    const table = formatSecretsTable([
      { name: 'BACKEND_DEPLOYMENT_WEBHOOK_URL', value: 'https://s/api/webhooks/dokploy/deployment', required: true },
      { name: 'DOKPLOY_WEBHOOK_URL_MODULE', value: 'x', required: false },
    ]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^\| Secret +\| Value +\| Required \|$/);
    expect(lines[1]).toMatch(/^\| -+ \| -+ \| -+ \|$/);
    expect(lines[2]).toMatch(/^\| `BACKEND_DEPLOYMENT_WEBHOOK_URL` \| https:\/\/s\/api\/webhooks\/dokploy\/deployment \| yes +\|$/);
    expect(lines[3]).toContain('optional');
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// The written workflow, run: its shell steps executed as a GitHub runner would (bash -eo pipefail,
// GitHub's variables, step outputs, if: conditions), its `uses:` steps (checkout, Docker) taken as
// done or failed. Slipway is the real server; Dokploy is the contract stub of docs/contracts.md, section 9.

interface WorkflowStep {
  name: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
}

function runBash(script: string, cwd: string, env: Record<string, string>) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

async function runWorkflow(
  dir: string,
  o: { branch: string; runId: string; secrets: Record<string, string>; failUses?: string; sha?: string; before?: string },
) {
  const wf = parseYaml(await readFile(join(dir, WORKFLOW_PATH), 'utf8')) as { env: Record<string, string>; jobs: Record<string, { steps: WorkflowStep[] }> };
  const steps = Object.values(wf.jobs)[0]!.steps;
  const temp = await mkdtemp(join(tmpdir(), 'slipway-runner-'));
  const outcomes: Record<string, 'success' | 'failure' | 'skipped'> = {};
  const outputs: Record<string, Record<string, string>> = {};
  const log: string[] = [];
  let failed = false;

  const expand = (value: string) =>
    value.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => {
      let m: RegExpExecArray | null;
      if ((m = /^secrets\.([A-Z0-9_]+)$/.exec(expr))) return o.secrets[m[1]!] ?? '';
      if ((m = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/.exec(expr))) return outputs[m[1]!]?.[m[2]!] ?? '';
      if (expr === "steps.deploy.outcome == 'failure' && 'deploy' || 'build'") return outcomes.deploy === 'failure' ? 'deploy' : 'build';
      if (expr === 'github.event.before') return o.before ?? '';
      throw new Error(`expression not simulated: ${expr}`);
    });
  const shouldRun = (cond: string | undefined) => {
    const notifier = existsSync(join(dir, NOTIFY_SCRIPT_PATH));
    if (cond === undefined) return !failed;
    if (cond === `failure() && hashFiles('${NOTIFY_SCRIPT_PATH}') != ''`) return failed && notifier;
    if (cond === `cancelled() && hashFiles('${NOTIFY_SCRIPT_PATH}') != ''`) return false;
    throw new Error(`condition not simulated: ${cond}`);
  };

  for (const [i, step] of steps.entries()) {
    const key = step.id ?? step.name;
    if (!shouldRun(step.if)) {
      outcomes[key] = 'skipped';
      continue;
    }
    if (step.uses) {
      outcomes[key] = step.name === o.failUses ? 'failure' : 'success';
      failed ||= outcomes[key] === 'failure';
      continue;
    }
    const outputFile = join(temp, `output-${i}`);
    await writeFile(outputFile, '');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      GITHUB_ACTIONS: 'true',
      GITHUB_RUN_ID: o.runId,
      GITHUB_REF: `refs/heads/${o.branch}`,
      GITHUB_REF_NAME: o.branch,
      GITHUB_SHA: o.sha ?? 'abc123def4567890abc123def4567890abc12345',
      GITHUB_REPOSITORY: 'acme/backend',
      GITHUB_SERVER_URL: 'https://github.com',
      RUNNER_TEMP: temp,
      GITHUB_OUTPUT: outputFile,
      ...wf.env,
      ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v)])),
    };
    const r = await runBash(step.run!, dir, env);
    log.push(`## ${step.name} (exit ${r.code})`, r.output);
    outcomes[key] = r.code === 0 ? 'success' : 'failure';
    failed ||= r.code !== 0;
    const lines = (await readFile(outputFile, 'utf8')).split('\n').filter((l) => l.includes('='));
    outputs[key] = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  }
  await rm(temp, { recursive: true, force: true });
  return { outcomes, failed, log: log.join('\n') };
}

describe('the written workflow, run against the real Slipway server and a Dokploy contract stub', () => {
  let slipway: TestServer;
  let stub: DokployStub;
  /** The deploy webhook calls the stub saw. */
  const dokploy = {
    get calls() {
      return stub.calls.filter((c) => c.path.startsWith('/api/deploy/')).map((c) => ({ token: c.path.slice('/api/deploy/'.length), headers: c.headers, body: c.body }));
    },
    url: (token: string) => stub.webhookUrl(token),
  };
  let token: string;

  beforeAll(async () => {
    slipway = await startTestServer('sqlite');
    stub = await DokployStub.start();
    stub.addApplication({ applicationId: 'main', token: 'app-main', source: 'git', branch: 'main' });
    stub.addApplication({ applicationId: 'modules', token: 'app-module', source: 'docker' });
    stub.addApplication({ applicationId: 'mismatch', token: 'branch-mismatch', source: 'git', branch: 'main' });
    token = await slipway.ctx.auth.createToken(ADMIN.email, 'ci-init test');
  });
  afterAll(async () => {
    await stub?.close();
    await slipway?.close();
  });

  const secrets = (extra: Record<string, string> = {}) => ({
    BACKEND_DEPLOYMENT_WEBHOOK_URL: `${slipway.url}/api/webhooks/dokploy/deployment`,
    DOKPLOY_WEBHOOK_SECRET: slipway.secret,
    DOKPLOY_WEBHOOK_URL: dokploy.url('app-main'),
    DOKPLOY_WEBHOOK_URL_MODULE: dokploy.url('app-module'),
    ...extra,
  });
  const statusOf = async (slug: string) => (await call(slipway.url, 'GET', `/api/admin/deployments/${slug}/status`, { token })).body;

  it("module/products: calls the module webhook, and Slipway shows the spec's success message", async () => {
    await ciInit({ appId: 'backend', dir: repo });
    const before = dokploy.calls.length;
    const run = await runWorkflow(repo, { branch: 'module/products', runId: '5001', secrets: secrets() });
    expect(run.failed, run.log).toBe(false);
    expect(dokploy.calls.slice(before)).toEqual([
      // No commit of that id in this folder (not a checkout): the branch and the commit id only.
      expect.objectContaining({ token: 'app-module', body: '{"ref":"refs/heads/module/products","after":"abc123def4567890abc123def4567890abc12345"}' }),
    ]);
    expect(dokploy.calls.at(-1)!.headers['x-github-event']).toBe('push');
    const d = await statusOf('products');
    expect(d).toMatchObject({
      branch_name: 'module/products',
      status: 'success',
      progress: 100,
      message: "Module 'products' deployed successfully! 🎉",
      commit_sha: 'abc123def4567890abc123def4567890abc12345',
      targets: [expect.objectContaining({ application_id: 'backend', external_id: 'gh-5001', run_url: 'https://github.com/acme/backend/actions/runs/5001' })],
    });
    expect(d.events.map((e: { status: string }) => e.status)).toEqual(['building', 'deploying', 'success']);
  });

  it('main: calls the main webhook of the application', async () => {
    await ciInit({ appId: 'frontend', dir: repo });
    const before = dokploy.calls.length;
    const run = await runWorkflow(repo, {
      branch: 'main',
      runId: '5002',
      secrets: secrets({ DOKPLOY_WEBHOOK_URL: dokploy.url('wrong-app'), DOKPLOY_WEBHOOK_URL_FRONTEND: dokploy.url('app-main') }),
    });
    expect(run.failed, run.log).toBe(false);
    expect(dokploy.calls.slice(before).map((c) => [c.token, JSON.parse(c.body).ref])).toEqual([['app-main', 'refs/heads/main']]);
    const list = (await call(slipway.url, 'GET', '/api/admin/deployments?per_page=100', { token })).body;
    const main = list.data.find((x: { targets: { external_id: string }[] }) => x.targets.some((t) => t.external_id === 'gh-5002'));
    expect(main).toMatchObject({ branch_name: 'main', module_slug: null, status: 'success' });
    expect(main.targets[0].application_id).toBe('frontend');
  });

  it('Dokploy ignoring the call (301) fails the run and reports error at the deploy stage, with its log', async () => {
    await ciInit({ appId: 'backend', dir: repo });
    const run = await runWorkflow(repo, {
      branch: 'module/orders',
      runId: '5003',
      secrets: secrets({ DOKPLOY_WEBHOOK_URL_MODULE: dokploy.url('branch-mismatch') }),
    });
    expect(run.failed).toBe(true);
    expect(run.outcomes).toMatchObject({ deploy: 'failure', 'Notify Slipway (done)': 'skipped', 'Notify Slipway (error)': 'success' });
    // Dokploy's own reason, not a guess.
    expect(run.log).toContain('::error title=Dokploy::Dokploy ignored the call (HTTP 301): Branch Not Match (module/orders, DOKPLOY_WEBHOOK_URL_MODULE).');
    const d = await statusOf('orders');
    expect(d).toMatchObject({ status: 'failed', message: 'Dokploy ignored the call (HTTP 301): Branch Not Match (module/orders, DOKPLOY_WEBHOOK_URL_MODULE).' });
    expect(d.all_logs).toEqual(expect.arrayContaining([expect.stringContaining('Dokploy answered HTTP 301')]));
  });

  it('sends the commit and the paths changed since the previous push, so Dokploy watch paths match and it records the hash', async () => {
    // A real checkout with full history, as actions/checkout with fetch-depth 0 leaves it.
    const origin = join(repo, 'origin.git');
    const work = join(repo, 'checkout');
    git(repo, ['init', '-q', '--bare', '-b', 'main', origin]);
    git(repo, ['clone', '-q', origin, work]);
    await writeFile(join(work, 'Dockerfile'), 'FROM scratch\n');
    git(work, ['add', '-A']);
    git(work, ['commit', '-qm', 'base']);
    git(work, ['push', '-q', 'origin', 'main']);
    git(work, ['checkout', '-qb', 'module/watched']);
    await mkdir(join(work, 'src/modules/watched'), { recursive: true });
    await writeFile(join(work, 'src/modules/watched/a.ts'), 'export {};\n');
    git(work, ['add', '-A']);
    git(work, ['commit', '-qm', 'Add module watched']);
    const first = git(work, ['rev-parse', 'HEAD']);
    await writeFile(join(work, 'src/modules/watched/b.ts'), 'export {};\n');
    git(work, ['add', '-A']);
    git(work, ['commit', '-qm', 'Update module watched']);
    const second = git(work, ['rev-parse', 'HEAD']);
    await ciInit({ appId: 'backend', dir: work });
    stub.addApplication({ applicationId: 'watched', token: 'app-watched', source: 'github', branch: 'module/watched', watchPaths: ['src/modules/**'] });
    stub.addApplication({ applicationId: 'elsewhere', token: 'app-elsewhere', source: 'github', branch: 'module/watched', watchPaths: ['frontend/**'] });

    // A new branch (before = zeros): everything since it left main.
    const zeros = '0'.repeat(40);
    const run = await runWorkflow(work, { branch: 'module/watched', runId: '5010', sha: second, before: zeros, secrets: secrets({ DOKPLOY_WEBHOOK_URL_MODULE: dokploy.url('app-watched') }) });
    expect(run.failed, run.log).toBe(false);
    const body = JSON.parse(dokploy.calls.at(-1)!.body);
    expect(body).toEqual({
      ref: 'refs/heads/module/watched',
      after: second,
      head_commit: { id: second, message: 'Update module watched' },
      commits: [{ id: second, message: 'Update module watched', added: ['src/modules/watched/a.ts', 'src/modules/watched/b.ts'], modified: [], removed: [] }],
    });
    expect(stub.deploymentsOf('watched')[0]).toMatchObject({ title: 'Update module watched', description: `Hash: ${second}` });

    // A later push: only what changed since the previous one.
    await runWorkflow(work, { branch: 'module/watched', runId: '5011', sha: second, before: first, secrets: secrets({ DOKPLOY_WEBHOOK_URL_MODULE: dokploy.url('app-watched') }) });
    expect(JSON.parse(dokploy.calls.at(-1)!.body).commits[0].added).toEqual(['src/modules/watched/b.ts']);

    // Watch paths that do not match: Dokploy's reason reaches the log Slipway gets.
    const miss = await runWorkflow(work, { branch: 'module/watched', runId: '5012', sha: second, before: first, secrets: secrets({ DOKPLOY_WEBHOOK_URL_MODULE: dokploy.url('app-elsewhere') }) });
    expect(miss.failed).toBe(true);
    expect(miss.log).toContain('Dokploy ignored the call (HTTP 301): Watch Paths Not Match');
    expect(stub.deploymentsOf('elsewhere')).toEqual([]);
  });

  it('a failed build reports error at the build stage, and Dokploy is not called', async () => {
    await ciInit({ appId: 'backend', dir: repo });
    const before = dokploy.calls.length;
    const run = await runWorkflow(repo, { branch: 'module/broken', runId: '5004', secrets: secrets(), failUses: 'Build and push' });
    expect(run.outcomes).toMatchObject({ deploy: 'skipped', 'Notify Slipway (error)': 'success' });
    expect(dokploy.calls.length).toBe(before);
    expect(await statusOf('broken')).toMatchObject({ status: 'failed', message: "Deployment of module 'broken' failed at the build stage." });
  });

  it('a module branch without its Dokploy webhook is built, not deployed, and says so', async () => {
    await ciInit({ appId: 'backend', dir: repo });
    const before = dokploy.calls.length;
    const run = await runWorkflow(repo, { branch: 'module/draft', runId: '5005', secrets: secrets({ DOKPLOY_WEBHOOK_URL_MODULE: '' }) });
    expect(run.failed, run.log).toBe(false);
    expect(dokploy.calls.length).toBe(before);
    // The server shows the spec's success sentence for a finished module; the CI's note stays in the history.
    const d = await statusOf('draft');
    expect(d.status).toBe('success');
    expect(d.events.at(-1)).toMatchObject({ status: 'success', message: 'Image pushed; not deployed: the DOKPLOY_WEBHOOK_URL_MODULE secret is not set.' });
  });

  it('a Slipway that refuses the notifications (wrong secret) does not fail the deployment', async () => {
    await ciInit({ appId: 'backend', dir: repo });
    const run = await runWorkflow(repo, { branch: 'module/quiet', runId: '5006', secrets: secrets({ DOKPLOY_WEBHOOK_SECRET: 'not-the-secret' }) });
    expect(run.failed, run.log).toBe(false);
    expect(run.log).toContain('::warning title=slipway-notify::');
    expect((await call(slipway.url, 'GET', '/api/admin/deployments/quiet/status', { token })).status).toBe(404);
  });
});
