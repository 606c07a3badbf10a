import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../test-support/postgres.ts';

/**
 * No container engine runs here, so the image is checked the way it can be: the Dockerfile is
 * linted, and its runtime stage's file tree is rebuilt from its own instructions (the `deps` stage's
 * npm commands run for real, production dependencies only; the `build` stage is this checkout,
 * compiled) and started with the image's ENV and CMD, then probed with its HEALTHCHECK.
 * System packages (apt-get lines) are the one thing not reproduced: this machine has them.
 */
const ROOT = resolve(import.meta.dirname, '../../../..');
const DOCKERFILE = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

interface Stage {
  name: string | undefined;
  /** Its own instructions after those of the stage it starts FROM, when that is a stage of this file. */
  instructions: Instruction[];
}

function stagesOf(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const i of DockerfileParser.parse(text).getInstructions()) {
    if (i.getKeyword() === 'FROM') {
      const args = i.getArguments().map((a) => a.getValue());
      const parent = stages.find((s) => s.name === args[0]);
      stages.push({ name: args[1]?.toUpperCase() === 'AS' ? args[2] : undefined, instructions: [...(parent?.instructions ?? [])] });
    } else stages.at(-1)?.instructions.push(i);
  }
  return stages;
}

/** An exec-form (JSON array) instruction's argv. */
const execForm = (i: Instruction) => JSON.parse(i.getArgumentsContent()!) as string[];
const fromFlag = (i: Instruction) => (i as unknown as { getFromFlag(): { getValue(): string } | null }).getFromFlag()?.getValue();
const args = (i: Instruction) => i.getArguments().map((a) => a.getValue());

/**
 * COPY as Docker does it: a folder's contents merge into the destination, a file lands inside a
 * destination ending in `/`, symbolic links are copied as they are (npm links workspaces).
 * Paths under another stage are relative to its WORKDIR, /app.
 */
function dockerCopy(i: Instruction, sourceRoot: string, targetRoot: string) {
  const paths = args(i).filter((a) => !a.startsWith('--'));
  const dest = paths.pop()!;
  for (const p of paths) {
    const source = join(sourceRoot, p.replace(/^\/app\/?/, ''));
    const into = statSync(source).isFile() && (dest.endsWith('/') || paths.length > 1);
    cpSync(source, join(targetRoot, dest, into ? basename(p) : ''), { recursive: true, verbatimSymlinks: true });
  }
}

describe('the Dockerfile', () => {
  it('passes the linter, which does catch a broken one', () => {
    expect(validate(DOCKERFILE, {}).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    expect(validate('FROM node:22\nCOPY package.json\nEXPOSE port\n', {}).length).toBeGreaterThan(0);
  });

  it('runs as a non-root user, keeps data in a volume, and declares a health check', () => {
    const final = stagesOf(DOCKERFILE).at(-1)!.instructions;
    const keyword = (k: string) => final.filter((i) => i.getKeyword() === k);
    expect(args(keyword('USER')[0]!)[0]).not.toMatch(/^(root|0)$/);
    expect(keyword('VOLUME')[0]!.getArgumentsContent()).toContain('/data');
    expect(keyword('ENV').flatMap(args)).toContain('SLIPWAY_DATA_DIR=/data');
    expect(keyword('HEALTHCHECK')).toHaveLength(1);
    // Production dependencies only, and no compiler in what is copied.
    const copies = keyword('COPY').map((i) => args(i)[0]);
    expect(copies.some((p) => p?.includes('/src'))).toBe(false);
  });
});

describe('compose.yaml', () => {
  interface Service {
    build?: string;
    environment?: Record<string, string>;
    volumes?: string[];
    command?: string[];
  }
  const compose = parseYaml(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
  const replicas = Object.entries(compose.services).filter(([, s]) => s.build === '.');

  it('runs two replicas of this image on one PostgreSQL, one Redis and one data volume, with shared secrets', () => {
    expect(replicas.length).toBeGreaterThanOrEqual(2);
    const [[, first]] = replicas as [[string, Service]];
    for (const [, s] of replicas) expect(s).toEqual(first);
    const env = first.environment!;
    expect(env.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
    expect(env.REDIS_URL).toBe('redis://redis:6379');
    // A replica with its own secret would refuse the other's signatures: compose must refuse to start.
    for (const name of ['DOKPLOY_WEBHOOK_SECRET', 'PUSHER_APP_SECRET']) expect(env[name]).toMatch(new RegExp(`^\\$\\{${name}:\\?`));
    expect(first.volumes).toContain('slipway-data:/data');
  });

  it('puts every replica behind the one address', () => {
    const proxy = compose.services.caddy!.command!;
    const targets = proxy.filter((_, i) => proxy[i - 1] === '--to');
    expect(targets.sort()).toEqual(replicas.map(([name]) => `${name}:3000`).sort());
  });
});

describe('the image, rebuilt from the Dockerfile and started', () => {
  const work = mkdtempSync(join(tmpdir(), 'slipway-image-'));
  const stages = stagesOf(DOCKERFILE);
  const image = join(work, 'app');
  const data = join(work, 'data');
  let server: ChildProcess | undefined;
  let env: NodeJS.ProcessEnv;
  let base = '';
  let output = '';
  const password = 'image-test-password-1';

  beforeAll(async () => {
    // The build stage: this checkout, compiled (vitest's global set-up compiled the server).
    if (!existsSync(join(ROOT, 'apps/web/dist/web/browser/index.html'))) {
      const r = spawnSync('npm', ['run', 'build', '-w', '@slipway/web'], { cwd: ROOT, stdio: 'inherit', timeout: 900_000 });
      if (r.status !== 0) throw new Error('the web app did not build');
    }
    const roots = new Map<string, string>([['build', ROOT]]);
    // The stages the runtime stage copies from, other than the build: rebuilt for real.
    const copiedFrom = new Set(stages.at(-1)!.instructions.filter((i) => i.getKeyword() === 'COPY').map(fromFlag));
    for (const stage of stages.slice(0, -1)) {
      if (stage.name === 'build' || !copiedFrom.has(stage.name)) continue;
      const dir = join(work, stage.name ?? 'stage');
      mkdirSync(dir, { recursive: true });
      for (const i of stage.instructions) {
        if (i.getKeyword() === 'COPY') {
          dockerCopy(i, ROOT, dir);
        } else if (i.getKeyword() === 'RUN' && /^npm\b/.test(i.getArgumentsContent() ?? '')) {
          const command = (i.getArgumentsContent() ?? '').replace(/\\\n/g, ' ');
          const r = spawnSync('sh', ['-c', command], {
            cwd: dir,
            stdio: ['ignore', 'inherit', 'inherit'],
            env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' },
            timeout: 900_000,
          });
          if (r.status !== 0) throw new Error(`${stage.name}: ${command} failed`);
        }
      }
      roots.set(stage.name!, dir);
    }
    const final = stages.at(-1)!.instructions;
    env = { PATH: '/usr/bin:/bin', HOME: work, LANG: 'C.UTF-8' };
    for (const i of final) {
      if (i.getKeyword() === 'COPY') {
        dockerCopy(i, roots.get(fromFlag(i)!)!, image);
      }
      if (i.getKeyword() === 'ENV') for (const kv of args(i)) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
    }
    env.SLIPWAY_DATA_DIR = data;
    env.HOST = '127.0.0.1';
    env.PORT = String(await freePort());
    env.SLIPWAY_ADMIN_PASSWORD = password;
    base = `http://127.0.0.1:${env.PORT}`;
    const cmd = execForm(final.find((i) => i.getKeyword() === 'CMD')!);
    server = spawn(process.execPath, cmd.slice(1), { cwd: image, env, stdio: ['ignore', 'pipe', 'pipe'] });
    server.stdout!.on('data', (c) => (output += c));
    server.stderr!.on('data', (c) => (output += c));
    for (let i = 0; i < 300; i++) {
      const ok = await fetch(`${base}/healthz`).then((r) => r.ok, () => false);
      if (ok) return;
      if (server.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the image's CMD did not serve /healthz:\n${output}`);
  }, 1_200_000);

  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(work, { recursive: true, force: true });
  });

  it('holds compiled JavaScript and production dependencies only: no sources, no TypeScript, no tsx', () => {
    const require = createRequire(join(image, 'apps/server/package.json'));
    for (const dev of ['typescript', 'tsx', 'vitest', '@angular/core']) expect(() => require.resolve(dev), dev).toThrow();
    expect(existsSync(join(image, 'apps/server/src'))).toBe(false);
    expect(existsSync(join(image, 'apps/server/dist/cli/index.js'))).toBe(true);
  });

  it('passes its own HEALTHCHECK command, serves the web app and the API', async () => {
    const check = stages.at(-1)!.instructions.find((i) => i.getKeyword() === 'HEALTHCHECK')!;
    const argv = JSON.parse((check.getArgumentsContent() ?? '').replace(/^.*?CMD\s+/s, '')) as string[];
    expect(spawnSync(process.execPath, argv.slice(1), { cwd: image, env, timeout: 10_000 }).status).toBe(0);

    expect(await fetch(`${base}/`).then((r) => r.text())).toContain('<app-root');
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@localhost', password }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const apps = await fetch(`${base}/api/admin/applications`, { headers: { cookie } });
    expect(apps.status).toBe(200);
  });

  it("answers the CLI from the image's tree", () => {
    const r = spawnSync(process.execPath, ['apps/server/bin/slipway.mjs', 'migrate'], { cwd: image, env: { ...env, SLIPWAY_DATA_DIR: join(work, 'data-2') }, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).not.toMatch(/compil/i);
    expect(r.status, r.stderr).toBe(0);
  });
});
