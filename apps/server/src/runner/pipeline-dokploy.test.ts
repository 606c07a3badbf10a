import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, tempDir } from '../git/test-helpers.ts';
import { DokployStub } from '../test-support/dokploy-stub.ts';
import { runPipeline } from './pipeline-run.ts';
import { ServiceSupervisor } from './services.ts';
import { testSandbox } from './test-sandbox.ts';

/** The runner's `deploy: { dokploy: true }` against the Dokploy contract stub: what Dokploy sees and what the run says. */

const tmp = tempDir('pipeline-dokploy');
const sandbox = testSandbox([tmp.dir]);
const supervisor = new ServiceSupervisor({ sandbox, stopGraceMs: 1000 });
let stub: DokployStub;
let repo: string;
let work: string;
let moduleHead: string;
let mainHead: string;

beforeAll(async () => {
  stub = await DokployStub.start({ apiKey: 'the-key' });
  repo = join(tmp.dir, 'shop.git');
  work = join(tmp.dir, 'work');
  git(tmp.dir, ['init', '-q', '--bare', '-b', 'main', repo]);
  git(tmp.dir, ['clone', '-q', repo, work]);
  mkdirSync(join(work, '.slipway'), { recursive: true });
  writeFileSync(join(work, '.slipway/pipeline.yaml'), 'deploy:\n  dokploy: true\n');
  writeFileSync(join(work, 'README.md'), '# shop\n');
  git(work, ['add', '-A']);
  git(work, ['commit', '-qm', 'base']);
  mainHead = git(work, ['rev-parse', 'HEAD']);
  git(work, ['checkout', '-qb', 'module/products']);
  mkdirSync(join(work, 'src/modules/products'), { recursive: true });
  writeFileSync(join(work, 'src/modules/products/routes.ts'), 'export {};\n');
  git(work, ['add', '-A']);
  git(work, ['commit', '-qm', 'Add module products']);
  moduleHead = git(work, ['rev-parse', 'HEAD']);
  git(work, ['push', '-q', 'origin', 'main', 'module/products']);
});
afterAll(async () => {
  await supervisor.stopAll();
  await stub?.close();
  tmp.cleanup();
});

async function run(branch: string, commit: string, dokploy: Record<string, string>, env: Record<string, string> = {}) {
  const lines: string[] = [];
  const outcome = await runPipeline(
    { app: { id: 'shop', baseBranch: 'main', dokploy }, repoDir: repo, branch, commit },
    { workDir: join(tmp.dir, 'runner'), supervisor, sandbox, env, dockerAvailable: async () => false },
    { stage: () => undefined, line: (l) => lines.push(l) },
  );
  return { outcome, lines };
}

describe('local runner → Dokploy', () => {
  it('sends the commit and its changed paths: an app watching the module folder deploys it, and records the hash', async () => {
    stub.addApplication({ applicationId: 'shop-modules', token: 'tok-modules', source: 'github', branch: 'module/products', watchPaths: ['src/modules/**'] });
    const { outcome, lines } = await run('module/products', moduleHead, { moduleWebhookUrl: stub.webhookUrl('tok-modules') });
    expect(outcome.kind, lines.join('\n')).toBe('success');
    const body = JSON.parse(stub.calls.at(-1)!.body);
    expect(body.head_commit).toEqual({ id: moduleHead, message: 'Add module products' });
    expect(body.commits[0].added).toEqual(['src/modules/products/routes.ts']);
    expect(stub.deploymentsOf('shop-modules')[0]).toMatchObject({ title: 'Add module products', description: `Hash: ${moduleHead}` });
  });

  it('the next deploy of the branch lists only what changed since the commit it last handed to Dokploy', async () => {
    writeFileSync(join(work, 'src/modules/products/service.ts'), 'export {};\n');
    git(work, ['add', '-A']);
    git(work, ['commit', '-qm', 'Update module products']);
    const next = git(work, ['rev-parse', 'HEAD']);
    git(work, ['push', '-q', 'origin', 'module/products']);
    const { outcome, lines } = await run('module/products', next, { moduleWebhookUrl: stub.webhookUrl('tok-modules') });
    expect(outcome.kind, lines.join('\n')).toBe('success');
    const body = JSON.parse(stub.calls.at(-1)!.body);
    expect(body.commits[0]).toMatchObject({ added: ['src/modules/products/service.ts'], modified: [], removed: [] });
    moduleHead = next;
  });

  it("an ignored call fails the deploy stage with Dokploy's own reason, in the message and the log", async () => {
    stub.addApplication({ applicationId: 'shop-front', token: 'tok-front', source: 'github', branch: 'module/products', watchPaths: ['frontend/**'] });
    const { outcome, lines } = await run('module/products', moduleHead, { moduleWebhookUrl: stub.webhookUrl('tok-front') });
    expect(outcome).toEqual({ kind: 'failed', stage: 'deploy', message: 'Deploy failed: Dokploy ignored the call: Watch Paths Not Match' });
    expect(lines).toContain('✗ Dokploy webhook: Dokploy ignored the call: Watch Paths Not Match');
  });

  it('main with auto-deploy off: falls back to application.deploy with the configured API key', async () => {
    stub.addApplication({ applicationId: 'shop-main', token: 'tok-main', source: 'git', branch: 'main', autoDeploy: false });
    const dokploy = { webhookUrl: stub.webhookUrl('tok-main'), apiUrl: stub.url, apiKeyEnv: 'SHOP_DOKPLOY_KEY', applicationId: 'shop-main' };
    const { outcome, lines } = await run('main', mainHead, dokploy, { SHOP_DOKPLOY_KEY: 'the-key' });
    expect(outcome.kind, lines.join('\n')).toBe('success');
    expect(stub.calls.at(-1)).toMatchObject({ path: '/api/application.deploy', status: 200 });
    expect(stub.deploymentsOf('shop-main')).toHaveLength(1);
    // Without the key the refusal stands, with Dokploy's words.
    const refused = await run('main', mainHead, dokploy);
    expect(refused.outcome).toMatchObject({ kind: 'failed', stage: 'deploy', message: 'Deploy failed: Automatic deployments are disabled for this application' });
  });
});
