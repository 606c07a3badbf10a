import { describe, expect, it } from 'vitest';
import { deployUrlOf, expandVariables, healthUrlOf, parsePipelineFile, PipelineFileError, runnableBranch } from './pipeline-file.ts';

const DEMO = `
env: { NODE_ENV: production, RETRIES: 3 }
build:
  - name: Syntax check
    run: node --check server.js
  - name: Tests
    run: node --test
    timeoutSeconds: 120
deploy:
  start: node server.js
  url: http://127.0.0.1:\${PORT}/
  moduleUrl: http://127.0.0.1:\${PORT}/api/\${SLIPWAY_MODULE}
health:
  path: /health
  timeoutSeconds: 20
`;

describe('parsePipelineFile', () => {
  it('reads a full pipeline with defaults filled', () => {
    const p = parsePipelineFile(DEMO);
    expect(p.build).toEqual([
      { name: 'Syntax check', run: 'node --check server.js' },
      { name: 'Tests', run: 'node --test', timeoutSeconds: 120 },
    ]);
    expect(p.env).toEqual({ NODE_ENV: 'production', RETRIES: '3' });
    expect(p.deploy?.start).toBe('node server.js');
    expect(p.health).toEqual({ path: '/health', timeoutSeconds: 20 });
  });

  it('accepts an empty build (CI only) and a Dokploy deploy', () => {
    expect(parsePipelineFile('deploy: { dokploy: true }')).toMatchObject({ build: [], deploy: { dokploy: true } });
    expect(parsePipelineFile('build: [{ name: t, run: "true" }]').deploy).toBeUndefined();
  });

  it.each([
    ['build: [{ name: x }]', 'build[0].run'],
    ['build: [{ name: x, run: y, timeout: 3 }]', 'build[0]: Unrecognized key'],
    ['deploy: {}', 'deploy: needs at least one of dokploy: true, run or start'],
    ['deploy: { run: x, url: "http://h/${NOPE}" }', 'deploy.url: unknown variable ${NOPE}'],
    ['health: { path: health }', 'health.path: must start with /'],
    ['steps: []', '(root): Unrecognized key'],
    ['env: { "1X": y }', 'env'],
    ['- a\n- b', 'must be a mapping'],
    ['build: [', 'not valid YAML'],
  ])('refuses %j naming %s', (text, expected) => {
    let err: unknown;
    try {
      parsePipelineFile(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PipelineFileError);
    expect((err as Error).message).toContain('.slipway/pipeline.yaml');
    expect((err as Error).message).toContain(expected);
  });
});

describe('URLs and branches', () => {
  const vars = { PORT: '4100', SLIPWAY_MODULE: 'products' };
  it('expands variables and picks the module URL for module branches', () => {
    const p = parsePipelineFile(DEMO);
    expect(deployUrlOf(p, vars, true)).toBe('http://127.0.0.1:4100/api/products');
    expect(deployUrlOf(p, vars, false)).toBe('http://127.0.0.1:4100/');
    expect(healthUrlOf(p, vars, 'http://127.0.0.1:4100/')).toBe('http://127.0.0.1:4100/health');
    expect(expandVariables('${A}-${B}', { A: 'a' })).toBe('a-');
  });

  it('health.url may name the deploy URL', () => {
    const p = parsePipelineFile('deploy: { run: x, url: "http://h:${PORT}/x" }\nhealth: { url: "${DEPLOY_URL}" }');
    expect(healthUrlOf(p, vars, deployUrlOf(p, vars, false))).toBe('http://h:4100/x');
    expect(() => parsePipelineFile('deploy: { run: x, url: "${DEPLOY_URL}" }')).toThrow(/unknown variable/);
  });

  it('runs main and module/* only', () => {
    expect(runnableBranch('refs/heads/main')).toBe('main');
    expect(runnableBranch('refs/heads/module/products')).toBe('module/products');
    expect(runnableBranch('refs/heads/feature/x')).toBeUndefined();
    expect(runnableBranch('refs/tags/v1')).toBeUndefined();
    expect(runnableBranch('refs/heads/module/')).toBeUndefined();
    expect(runnableBranch('refs/heads/trunk', 'trunk')).toBe('trunk');
  });
});
