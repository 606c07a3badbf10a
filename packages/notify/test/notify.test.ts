import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CI_STAGES, CI_WORDS, ciReportSchema } from '@slipway/contracts';
import {
  buildPayload,
  EXIT,
  LIMITS,
  main,
  readLogTail,
  send,
  sign,
  SIGNATURE_HEADER,
  STAGES,
  STATUSES,
} from '../notify.mjs';
import { closedPortUrl, json, signatureValid, startReceiver, type TestServer } from './helpers.ts';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const NOTIFY = join(here, '..', 'notify.mjs');
const SECRET = 'votre-secret';

/** What GitHub Actions sets for a push of module/products (only the variables the notifier reads). */
const GITHUB_ENV = {
  GITHUB_ACTIONS: 'true',
  GITHUB_RUN_ID: '123456789',
  GITHUB_REF: 'refs/heads/module/products',
  GITHUB_REF_NAME: 'module/products',
  GITHUB_HEAD_REF: '',
  GITHUB_SHA: 'abc123def456',
  GITHUB_REPOSITORY: 'acme/backend',
  GITHUB_SERVER_URL: 'https://github.com',
  SLIPWAY_APP_ID: 'backend',
};

/** The spec's "Payload envoyé au backend", status done. */
const SPEC_EXAMPLE = {
  deploymentId: 'gh-123456789',
  applicationId: 'backend',
  status: 'done',
  branch: 'module/products',
  commit: 'abc123def456',
  message: "Module 'products' deployed successfully! 🎉",
  moduleName: 'products',
  isModuleBranch: true,
  timestamp: '2024-01-15T10:30:00Z',
};

const noSleep = { sleep: async () => {} };

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function receiver(...args: Parameters<typeof startReceiver>) {
  const s = await startReceiver(...args);
  servers.push(s);
  return s;
}

describe('buildPayload', () => {
  it("fills the spec's example payload, field for field, from a GitHub Actions environment", () => {
    const payload = buildPayload(GITHUB_ENV, { status: 'done', now: new Date('2024-01-15T10:30:00Z') });
    const specFields = Object.fromEntries(Object.keys(SPEC_EXAMPLE).map((k) => [k, payload[k as keyof typeof payload]]));
    expect(specFields).toEqual(SPEC_EXAMPLE);
    // The one extension it adds: a link to the CI run, which the server's schema knows.
    expect(payload).toEqual({ ...SPEC_EXAMPLE, runUrl: 'https://github.com/acme/backend/actions/runs/123456789' });
    expect(Object.keys(payload).slice(0, 9)).toEqual(Object.keys(SPEC_EXAMPLE));
    expect(ciReportSchema.parse(payload)).toEqual(payload);
  });

  it('carries the run attempt of a GitHub "Re-run" (GITHUB_RUN_ATTEMPT), after the spec\'s fields; nothing when absent or not a count', () => {
    const payload = buildPayload({ ...GITHUB_ENV, GITHUB_RUN_ATTEMPT: '2' }, { status: 'done', now: new Date('2024-01-15T10:30:00Z') });
    expect(payload.runAttempt).toBe(2);
    expect(Object.keys(payload).slice(0, 9)).toEqual(Object.keys(SPEC_EXAMPLE));
    expect(ciReportSchema.parse(payload)).toEqual(payload);
    expect(buildPayload({ ...GITHUB_ENV, GITHUB_RUN_ATTEMPT: 'x' }, { status: 'done' })).not.toHaveProperty('runAttempt');
    expect(buildPayload({ ...GITHUB_ENV, GITHUB_RUN_ATTEMPT: '0' }, { status: 'done' })).not.toHaveProperty('runAttempt');
  });

  it('takes the application from --app over SLIPWAY_APP_ID, and leaves it out when neither is set', () => {
    expect(buildPayload(GITHUB_ENV, { status: 'running', app: 'frontend' }).applicationId).toBe('frontend');
    const { SLIPWAY_APP_ID: _, ...withoutApp } = GITHUB_ENV;
    expect(buildPayload(withoutApp, { status: 'running' })).not.toHaveProperty('applicationId');
  });

  it('describes main as a non-module branch', () => {
    const env = { ...GITHUB_ENV, GITHUB_REF: 'refs/heads/main', GITHUB_REF_NAME: 'main' };
    const payload = buildPayload(env, { status: 'done' });
    expect(payload).toMatchObject({ branch: 'main', isModuleBranch: false, message: "Branch 'main' deployed successfully! 🎉" });
    expect(payload).not.toHaveProperty('moduleName');
    expect(ciReportSchema.safeParse(payload).success).toBe(true);
  });

  it("uses the PR's head branch on pull_request events", () => {
    const env = { ...GITHUB_ENV, GITHUB_REF_NAME: '42/merge', GITHUB_HEAD_REF: 'module/orders' };
    expect(buildPayload(env, { status: 'running' })).toMatchObject({ branch: 'module/orders', moduleName: 'orders' });
  });

  it('carries stage, custom message and default messages for running and error', () => {
    expect(buildPayload(GITHUB_ENV, { status: 'running', stage: 'deploy' })).toMatchObject({
      stage: 'deploy',
      message: "Deploying module 'products'…",
    });
    expect(buildPayload(GITHUB_ENV, { status: 'error', stage: 'build' }).message).toBe(
      "Deployment of module 'products' failed at the build stage.",
    );
    expect(buildPayload(GITHUB_ENV, { status: 'done', message: 'Shipped' }).message).toBe('Shipped');
    expect(buildPayload(GITHUB_ENV, { status: 'done', message: 'x'.repeat(5000) }).message).toHaveLength(LIMITS.message);
  });

  it('refuses unknown statuses and stages', () => {
    expect(() => buildPayload(GITHUB_ENV, { status: 'finished' })).toThrow(/--status must be one of/);
    expect(() => buildPayload(GITHUB_ENV, { status: 'running', stage: 'test' })).toThrow(/--stage must be one of/);
  });

  it("speaks the same words as the server's schema", () => {
    expect([...STATUSES]).toEqual([...CI_WORDS]);
    expect([...STAGES]).toEqual([...CI_STAGES]);
  });
});

describe('sign', () => {
  it("equals the spec's openssl dgst -sha256 -hmac over the spec's test payload", () => {
    const payload = '{"deploymentId":"test-123","status":"done","branch":"module/test","message":"Test deployment"}';
    // echo -n "$PAYLOAD" | openssl dgst -sha256 -hmac "votre-secret" | cut -d' ' -f2
    expect(sign(payload, SECRET)).toBe('sha256=bb7dc999d6f7f6ae85d328de0a788af4c35d6368aea04bdd9c828871557bf113');
  });
});

describe('send', () => {
  it('is accepted by a server that checks the signature over the raw body', async () => {
    const server = await receiver((req, _n, res) =>
      signatureValid(req, SECRET) && ciReportSchema.safeParse(JSON.parse(req.body)).success
        ? json(res, 200, { ok: true })
        : json(res, 401, { error: 'invalid signature' }),
    );
    const body = JSON.stringify(buildPayload(GITHUB_ENV, { status: 'running' }));
    const result = await send(server.url, body, SECRET, noSleep);
    expect(result).toMatchObject({ ok: true, status: 200, attempts: 1 });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'POST', body });
    expect(server.requests[0]!.headers['content-type']).toBe('application/json');
    expect(server.requests[0]!.headers[SIGNATURE_HEADER.toLowerCase()]).toBe(sign(body, SECRET));
  });

  it('retries on 503 with the same signed bytes, then succeeds', async () => {
    const server = await receiver((_req, n, res) => (n < 2 ? json(res, 503, { error: 'busy' }) : json(res, 200, {})));
    const delays: number[] = [];
    const result = await send(server.url, '{"status":"running"}', SECRET, {
      retries: 4,
      baseDelayMs: 1000,
      maxDelayMs: 1500,
      sleep: async (ms) => void delays.push(ms),
    });
    expect(result).toMatchObject({ ok: true, status: 200, attempts: 3 });
    expect(server.requests).toHaveLength(3);
    expect(new Set(server.requests.map((r) => r.body + r.headers['x-webhook-signature'])).size).toBe(1);
    expect(delays).toHaveLength(2);
    for (const d of delays) expect(d).toBeLessThanOrEqual(1500);
  });

  it('does not retry a 401', async () => {
    const server = await receiver((_req, _n, res) => json(res, 401, { error: 'invalid signature' }));
    const result = await send(server.url, '{"status":"done"}', 'wrong-secret', { retries: 4, ...noSleep });
    expect(result).toMatchObject({ ok: false, status: 401, attempts: 1, retryable: false });
    expect(result.error).toMatch(/invalid signature.*DOKPLOY_WEBHOOK_SECRET/);
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry other 4xx (422) nor follow a redirect', async () => {
    const unprocessable = await receiver((_req, _n, res) => json(res, 422, { error: 'bad status' }));
    expect(await send(unprocessable.url, '{}', SECRET, noSleep)).toMatchObject({ ok: false, status: 422, attempts: 1 });
    const moved = await receiver((_req, _n, res) => {
      res.writeHead(301, { location: 'https://elsewhere.example/hook?token=x' });
      res.end();
    });
    const result = await send(moved.url, '{}', SECRET, noSleep);
    expect(result).toMatchObject({ ok: false, status: 301, attempts: 1, retryable: false });
    expect(result.error).toContain('https://elsewhere.example/hook');
    expect(result.error).not.toContain('token=x');
    expect(moved.requests).toHaveLength(1);
  });

  it('honours Retry-After on 429, within the delay cap', async () => {
    const server = await receiver((_req, n, res) => (n === 0 ? json(res, 429, {}, { 'retry-after': '3' }) : json(res, 200, {})));
    const delays: number[] = [];
    const sleep = async (ms: number) => void delays.push(ms);
    expect(await send(server.url, '{}', SECRET, { baseDelayMs: 10, maxDelayMs: 60_000, sleep })).toMatchObject({ ok: true, attempts: 2 });
    expect(delays).toEqual([3000]);
    delays.length = 0;
    const again = await receiver((_req, n, res) => (n === 0 ? json(res, 429, {}, { 'retry-after': '3600' }) : json(res, 200, {})));
    await send(again.url, '{}', SECRET, { maxDelayMs: 2000, sleep });
    expect(delays).toEqual([2000]);
  });

  it('stops after the configured number of retries', async () => {
    const server = await receiver((_req, _n, res) => json(res, 500, { error: 'boom' }));
    const result = await send(server.url, '{}', SECRET, { retries: 2, ...noSleep });
    expect(result).toMatchObject({ ok: false, status: 500, attempts: 3, retryable: true });
    expect(server.requests).toHaveLength(3);
  });

  it('retries network errors and reports them', async () => {
    const retried: string[] = [];
    const result = await send(await closedPortUrl(), '{}', SECRET, {
      retries: 2,
      ...noSleep,
      onRetry: (info) => retried.push(info.error ?? ''),
    });
    expect(result).toMatchObject({ ok: false, attempts: 3, retryable: true });
    expect(result).not.toHaveProperty('status');
    expect(result.error).toMatch(/ECONNREFUSED/);
    expect(retried).toHaveLength(2);
  });

  it('gives up on a server that never answers, after the per-attempt timeout', async () => {
    const server = await receiver(() => {}); // reads the request, never responds
    const result = await send(server.url, '{}', SECRET, { retries: 1, timeoutMs: 200, ...noSleep });
    expect(result).toMatchObject({ ok: false, attempts: 2 });
    expect(result.error).toBe('no answer within 0.2 s');
    expect(server.requests).toHaveLength(2);
  });

  it('rejects a URL it cannot send to, without trying', async () => {
    await expect(send('ftp://example.com/x', '{}', SECRET)).rejects.toThrow(/http or https/);
    await expect(send('not a url', '{}', SECRET)).rejects.toThrow(/not a URL/);
  });

  it('uses an injected fetch (for the local runner)', async () => {
    const calls: string[] = [];
    const fetch = (async (url: string, init: RequestInit) => {
      calls.push(`${init.method} ${url}`);
      return new Response('{}', { status: 200 });
    }) as typeof globalThis.fetch;
    expect(await send('https://slipway.example/hook', '{}', SECRET, { fetch })).toMatchObject({ ok: true });
    expect(calls).toEqual(['POST https://slipway.example/hook']);
  });
});

describe('readLogTail', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-notify-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns the last lines, cleaned of colours and progress redraws', async () => {
    const file = join(dir, 'build.log');
    const lines = Array.from({ length: 300 }, (_, i) => `line ${i}`);
    await writeFile(file, `${lines.join('\n')}\n\x1b[31mERROR\x1b[0m: failed\r\nstep 1/3\rstep 3/3\n\n`);
    expect(await readLogTail(file, 4)).toEqual(['line 298', 'line 299', 'ERROR: failed', 'step 3/3']);
  });

  it("keeps within the server schema's limits however big the file", async () => {
    const file = join(dir, 'huge.log');
    const long = `${'漢'.repeat(3000)}\n`;
    await writeFile(file, long.repeat(2000));
    const logs = await readLogTail(file, 10_000);
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.length).toBeLessThanOrEqual(LIMITS.logLines);
    const payload = buildPayload(GITHUB_ENV, { status: 'error', logs });
    expect(ciReportSchema.safeParse(payload).success).toBe(true);
    // The server's default body limit is 256 KiB.
    expect(Buffer.byteLength(JSON.stringify(payload))).toBeLessThan(256 * 1024);
  });
});

describe('CLI (node notify.mjs)', () => {
  /** Runs the real script in a child process; never rejects, returns the exit code and output. */
  async function cli(args: string[], env: Record<string, string> = {}) {
    try {
      const { stdout, stderr } = await run(process.execPath, [NOTIFY, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it('sends the payload signed, and exits 0', async () => {
    const server = await receiver((req, _n, res) => json(res, signatureValid(req, SECRET) ? 200 : 401, {}));
    const out = await cli(['--status', 'done'], {
      ...GITHUB_ENV,
      BACKEND_DEPLOYMENT_WEBHOOK_URL: server.url,
      DOKPLOY_WEBHOOK_SECRET: SECRET,
    });
    expect(out.code).toBe(EXIT.OK);
    expect(out.stdout).toContain(`done sent to ${server.url} (HTTP 200, 1 attempt)`);
    const { timestamp, ...rest } = JSON.parse(server.requests[0]!.body);
    const { timestamp: _, ...spec } = SPEC_EXAMPLE;
    expect(rest).toMatchObject(spec);
    expect(Date.now() - Date.parse(timestamp)).toBeLessThan(60_000);
  });

  it('takes URL, secret and app from flags; sends --log-file lines and --stage', async () => {
    const server = await receiver((req, _n, res) => json(res, signatureValid(req, 'flag-secret') ? 200 : 401, {}));
    const dir = await mkdtemp(join(tmpdir(), 'slipway-notify-'));
    const log = join(dir, 'deploy.log');
    await writeFile(log, 'one\ntwo\nthree\n');
    const out = await cli(
      ['--status', 'error', '--stage', 'deploy', '--log-file', log, '--log-lines', '2', '--app', 'frontend', '--url', server.url, '--secret', 'flag-secret'],
      { GITHUB_RUN_ID: '7', GITHUB_REF_NAME: 'main', GITHUB_SHA: 'f00' },
    );
    await rm(dir, { recursive: true, force: true });
    expect(out.code).toBe(EXIT.OK);
    expect(JSON.parse(server.requests[0]!.body)).toMatchObject({
      deploymentId: 'gh-7',
      applicationId: 'frontend',
      status: 'error',
      stage: 'deploy',
      logs: ['two', 'three'],
      message: "Deployment of 'main' failed at the deploy stage.",
    });
  });

  it('exits 1 when the server refuses, and 0 with --soft', async () => {
    const server = await receiver((_req, _n, res) => json(res, 401, { error: 'invalid signature' }));
    const env = { ...GITHUB_ENV, BACKEND_DEPLOYMENT_WEBHOOK_URL: server.url, DOKPLOY_WEBHOOK_SECRET: 'wrong' };
    const hard = await cli(['--status', 'running'], env);
    expect(hard.code).toBe(EXIT.REJECTED);
    expect(hard.stderr).toMatch(/^::error title=slipway-notify::.*HTTP 401/m);
    const soft = await cli(['--status', 'running', '--soft'], env);
    expect(soft.code).toBe(EXIT.OK);
    expect(soft.stderr).toMatch(/^::warning title=slipway-notify::.*HTTP 401/m);
    expect(server.requests).toHaveLength(2);
  });

  it('exits 3 when the server stays unreachable after the retries', async () => {
    const out = await cli(['--status', 'running', '--retries', '1', '--retry-delay', '0', '--url', await closedPortUrl(), '--secret', 's']);
    expect(out.code).toBe(EXIT.UNREACHABLE);
    expect(out.stderr).toMatch(/attempt 1 failed .*retrying/);
    expect(out.stderr).toMatch(/after 2 attempts/);
  });

  it('exits 2 on usage and configuration errors, 0 with --soft', async () => {
    expect((await cli([])).code).toBe(EXIT.USAGE);
    expect((await cli(['--status', 'done', '--bogus'])).code).toBe(EXIT.USAGE);
    const noUrl = await cli(['--status', 'done'], { DOKPLOY_WEBHOOK_SECRET: 's' });
    expect(noUrl.code).toBe(EXIT.USAGE);
    expect(noUrl.stderr).toContain('BACKEND_DEPLOYMENT_WEBHOOK_URL');
    const noSecret = await cli(['--status', 'done', '--url', 'http://127.0.0.1:1/x']);
    expect(noSecret.code).toBe(EXIT.USAGE);
    expect(noSecret.stderr).toContain('DOKPLOY_WEBHOOK_SECRET');
    expect((await cli(['--status', 'done', '--soft'])).code).toBe(EXIT.OK);
  });

  it('--dry-run prints the payload and its signature', async () => {
    const out = await cli(['--status', 'done', '--dry-run'], { ...GITHUB_ENV, DOKPLOY_WEBHOOK_SECRET: SECRET });
    expect(out.code).toBe(0);
    const [body, header] = out.stdout.trim().split('\n');
    expect(JSON.parse(body!)).toMatchObject({ deploymentId: 'gh-123456789', status: 'done' });
    expect(header).toBe(`${SIGNATURE_HEADER}: ${sign(body!, SECRET)}`);
  });

  it('does nothing when imported rather than run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-notify-'));
    const importer = join(dir, 'importer.mjs');
    await writeFile(importer, `const m = await import(${JSON.stringify(NOTIFY)});\nconsole.log(typeof m.send);\n`);
    const { stdout, stderr } = await run(process.execPath, [importer], { env: { PATH: process.env.PATH ?? '' } });
    await rm(dir, { recursive: true, force: true });
    expect(stdout).toBe('function\n');
    expect(stderr).toBe('');
  });

  it('main() returns the exit code with injected fetch, for in-process callers', async () => {
    const out: string[] = [];
    const io = { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => out.push(s) } };
    const fetch = (async () => new Response('', { status: 503 })) as unknown as typeof globalThis.fetch;
    const env = { BACKEND_DEPLOYMENT_WEBHOOK_URL: 'https://slipway.example/hook', DOKPLOY_WEBHOOK_SECRET: 's' };
    expect(await main(['--status', 'done', '--retries', '2'], env, io, { fetch, sleep: async () => {} })).toBe(EXIT.UNREACHABLE);
    expect(out.join('')).toMatch(/after 3 attempts: HTTP 503/);
  });
});

describe('package', () => {
  it('exposes the script as the slipway-notify bin, runnable directly', async () => {
    const pkg = JSON.parse(await readFile(join(here, '..', 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: '@slipway/notify', bin: { 'slipway-notify': './notify.mjs' } });
    expect((await readFile(NOTIFY, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(pkg.dependencies ?? {}).toEqual({});
  });
});

describe('type declarations (notify.d.mts)', () => {
  it('match the JSDoc of notify.mjs (regenerate with: npm run types -w @slipway/notify)', async () => {
    const out = await mkdtemp(join(tmpdir(), 'slipway-notify-types-'));
    const pkg = JSON.parse(await readFile(join(here, '..', 'package.json'), 'utf8'));
    const args = (pkg.scripts.types as string).split(' ').slice(1).map((a) => (a === '.' ? out : a === 'notify.mjs' ? NOTIFY : a));
    await run(process.execPath, [join(here, '../../../node_modules/typescript/bin/tsc'), ...args]);
    const fresh = await readFile(join(out, 'notify.d.mts'), 'utf8');
    await rm(out, { recursive: true, force: true });
    expect(fresh).toBe(await readFile(join(here, '..', 'notify.d.mts'), 'utf8'));
  });
});

describe('composite action (action.yml)', () => {
  it('declares the inputs and runs its script, passing inputs safely to notify.mjs', async () => {
    const action = parseYaml(await readFile(join(here, '..', 'action.yml'), 'utf8'));
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['status', 'message', 'stage', 'log-file', 'app', 'soft']));
    expect(action.inputs.status.required).toBe(true);
    expect(action.runs.using).toBe('composite');
    const step = action.runs.steps[0];
    expect(step.run).toContain('node "${{ github.action_path }}/notify.mjs"');

    // Run the step's script as the runner would: ${{ github.action_path }} expanded, inputs in env.
    const server = await receiver((req, _n, res) => json(res, signatureValid(req, SECRET) ? 200 : 401, {}));
    const script = step.run.replaceAll('${{ github.action_path }}', join(here, '..'));
    const hostile = `it's "done" $(touch /tmp/slipway-pwned) \`id\``;
    const { stdout } = await run('bash', ['-e', '-c', script], {
      env: {
        PATH: process.env.PATH ?? '',
        ...GITHUB_ENV,
        NOTIFY_STATUS: 'done',
        NOTIFY_MESSAGE: hostile,
        NOTIFY_STAGE: 'deploy',
        NOTIFY_LOG_FILE: '',
        NOTIFY_APP: 'frontend',
        NOTIFY_SOFT: 'true',
        NOTIFY_URL: server.url,
        NOTIFY_SECRET: SECRET,
      },
    });
    expect(stdout).toContain('done sent to');
    expect(JSON.parse(server.requests[0]!.body)).toMatchObject({ status: 'done', stage: 'deploy', applicationId: 'frontend', message: hostile });
  });
});
