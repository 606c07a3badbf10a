import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ciSecrets, dokploySecretNames, NOTIFY_SCRIPT_PATH, renderCiWorkflow, type CiWorkflowOptions } from './ci-workflow.ts';

const require = createRequire(import.meta.url);
const { lintWorkflow } = require('./actionlint.cjs') as {
  lintWorkflow(text: string, path: string): Promise<{ message: string; line: number; column: number; kind: string }[]>;
};

interface Step {
  name: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}

function parse(opts: CiWorkflowOptions) {
  const text = renderCiWorkflow(opts);
  const wf = parseYaml(text) as {
    on: { push: { branches: string[] } };
    env: Record<string, string>;
    permissions: Record<string, string>;
    jobs: Record<string, { steps: Step[] }>;
  };
  const steps = Object.values(wf.jobs)[0]!.steps;
  const step = (name: string) => {
    const s = steps.find((x) => x.name === name);
    if (!s) throw new Error(`no step ${name}`);
    return s;
  };
  return { text, wf, steps, step };
}

describe('CI workflow', () => {
  it.each<CiWorkflowOptions>([
    { appId: 'backend' },
    { appId: 'frontend' },
    { appId: 'billing-api', mainBranch: 'trunk', dockerfile: 'docker/api.Dockerfile', context: 'services/api' },
  ])('passes actionlint (%o)', async (opts) => {
    const problems = await lintWorkflow(renderCiWorkflow(opts), '.github/workflows/ci.yaml');
    expect(problems).toEqual([]);
  });

  it('the linter does catch a broken workflow (so the check above means something)', async () => {
    const broken = renderCiWorkflow({ appId: 'backend' }).replace('${{ steps.meta.outputs.tags }}', '${{ step.meta.outputs.tags }}');
    expect((await lintWorkflow(broken, 'ci.yaml')).map((p) => p.kind)).toContain('expression');
  });

  it("runs on pushes to main and module/*, as the spec's workflow", () => {
    const { wf } = parse({ appId: 'backend' });
    expect(wf.on).toEqual({ push: { branches: ['main', 'module/*'] } });
    expect(wf.permissions).toEqual({ contents: 'read', packages: 'write' });
  });

  it('logs in to GHCR and tags per docs/contracts.md: latest only on main, sha-<7>, the sanitized branch', () => {
    const { step } = parse({ appId: 'backend' });
    expect(step('Log in to GHCR')).toMatchObject({ uses: 'docker/login-action@v3', with: { registry: '${{ env.REGISTRY }}' } });
    const meta = step('Docker metadata');
    expect(meta.uses).toBe('docker/metadata-action@v5');
    expect(meta.with!.images).toBe('${{ env.REGISTRY }}/${{ github.repository }}');
    expect(String(meta.with!.tags).trim().split('\n')).toEqual([
      "type=raw,value=latest,enable=${{ github.ref == 'refs/heads/main' }}",
      'type=sha,format=short,prefix=sha-',
      'type=ref,event=branch',
    ]);
    expect(String(meta.with!.flavor).trim()).toBe('latest=false');
    expect(step('Build and push')).toMatchObject({
      uses: 'docker/build-push-action@v6',
      with: { push: true, tags: '${{ steps.meta.outputs.tags }}', file: 'Dockerfile', context: '.' },
    });
  });

  it('follows a renamed main branch in triggers, latest tag and the deploy script', () => {
    const { wf, step } = parse({ appId: 'backend', mainBranch: 'trunk' });
    expect(wf.on.push.branches).toEqual(['trunk', 'module/*']);
    expect(String(step('Docker metadata').with!.tags)).toContain("refs/heads/trunk'");
    expect(step('Trigger Dokploy deployment').run).toContain('[ "$GITHUB_REF_NAME" = "trunk" ]');
  });

  it("reads the spec's Dokploy secret names for the application", () => {
    expect(dokploySecretNames('backend')).toEqual({ main: 'DOKPLOY_WEBHOOK_URL', module: 'DOKPLOY_WEBHOOK_URL_MODULE' });
    expect(dokploySecretNames('frontend')).toEqual({ main: 'DOKPLOY_WEBHOOK_URL_FRONTEND', module: 'DOKPLOY_WEBHOOK_URL_FRONTEND_MODULE' });
    expect(dokploySecretNames('billing-api')).toEqual({ main: 'DOKPLOY_WEBHOOK_URL_BILLING_API', module: 'DOKPLOY_WEBHOOK_URL_BILLING_API_MODULE' });
    expect(parse({ appId: 'frontend' }).step('Trigger Dokploy deployment').env).toEqual({
      PUSH_BEFORE: '${{ github.event.before }}',
      MAIN_BRANCH: 'main',
      DOKPLOY_URL_MAIN: '${{ secrets.DOKPLOY_WEBHOOK_URL_FRONTEND }}',
      DOKPLOY_URL_MODULE: '${{ secrets.DOKPLOY_WEBHOOK_URL_FRONTEND_MODULE }}',
    });
  });

  it('notifies Slipway running → done, error on failure, with the application id and both secrets', () => {
    const { wf, steps } = parse({ appId: 'frontend' });
    expect(wf.env.SLIPWAY_APP_ID).toBe('frontend');
    const notifies = steps.filter((s) => s.run?.includes(`node ${NOTIFY_SCRIPT_PATH}`));
    expect(notifies.map((s) => [s.name, s.if ?? 'success()'])).toEqual([
      ['Notify Slipway (building)', 'success()'],
      ['Notify Slipway (deploying)', 'success()'],
      ['Notify Slipway (done)', 'success()'],
      ['Notify Slipway (error)', "failure() && hashFiles('.slipway/notify.mjs') != ''"],
      ['Notify Slipway (cancelled)', "cancelled() && hashFiles('.slipway/notify.mjs') != ''"],
    ]);
    for (const s of notifies) {
      expect(s.env).toMatchObject({
        BACKEND_DEPLOYMENT_WEBHOOK_URL: '${{ secrets.BACKEND_DEPLOYMENT_WEBHOOK_URL }}',
        DOKPLOY_WEBHOOK_SECRET: '${{ secrets.DOKPLOY_WEBHOOK_SECRET }}',
      });
      // A Slipway outage must not fail a deployment.
      expect(s.run).toContain('--soft');
    }
    // The build notice comes before the build, the done notice after Dokploy was called.
    const order = steps.map((s) => s.name);
    expect(order.indexOf('Notify Slipway (building)')).toBeLessThan(order.indexOf('Build and push'));
    expect(order.indexOf('Notify Slipway (done)')).toBeGreaterThan(order.indexOf('Trigger Dokploy deployment'));
  });

  it('never interpolates ${{ }} into a script: values reach scripts through env only', () => {
    for (const s of parse({ appId: 'backend' }).steps) if (s.run) expect(s.run).not.toContain('${{');
  });

  it('refuses options it cannot write safely', () => {
    expect(() => renderCiWorkflow({ appId: 'Backend' })).toThrow(/--app/);
    expect(() => renderCiWorkflow({ appId: 'backend', mainBranch: 'main"; rm -rf /' })).toThrow(/not a plain branch/);
    expect(() => renderCiWorkflow({ appId: 'backend', mainBranch: 'module/x' })).toThrow(/not a plain branch/);
    expect(() => renderCiWorkflow({ appId: 'backend', dockerfile: '../Dockerfile' })).toThrow(/--dockerfile/);
    expect(() => renderCiWorkflow({ appId: 'backend', context: '/etc' })).toThrow(/--context/);
  });

  it("lists the spec's secrets for the application, with the webhook URL when the server is known", () => {
    expect(ciSecrets('backend', { serverUrl: 'https://slipway.example.com/' })).toEqual([
      { name: 'BACKEND_DEPLOYMENT_WEBHOOK_URL', value: 'https://slipway.example.com/api/webhooks/dokploy/deployment', required: true },
      { name: 'DOKPLOY_WEBHOOK_SECRET', value: expect.stringContaining('slipway secret'), required: true },
      { name: 'DOKPLOY_WEBHOOK_URL', value: expect.any(String), required: true },
      { name: 'DOKPLOY_WEBHOOK_URL_MODULE', value: expect.any(String), required: false },
    ]);
    expect(ciSecrets('frontend').map((s) => s.name)).toEqual([
      'BACKEND_DEPLOYMENT_WEBHOOK_URL',
      'DOKPLOY_WEBHOOK_SECRET',
      'DOKPLOY_WEBHOOK_URL_FRONTEND',
      'DOKPLOY_WEBHOOK_URL_FRONTEND_MODULE',
    ]);
  });
});
