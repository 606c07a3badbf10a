import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_SECRET } from '../test-support/server.ts';
import { ConfigError, loadConfig } from './config.ts';
import { ensureWebhookSecret, MIN_WEBHOOK_SECRET_LENGTH, newWebhookSecret, webhookSecretProblem, WebhookSecretError } from './secrets.ts';

const BIN = resolve(import.meta.dirname, '../../bin/slipway.mjs');

let dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'slipway-secret-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe('webhook secrets', () => {
  it('takes the secrets Slipway makes and the test secret; refuses empty, short and keyless whsec_ ones', () => {
    expect(webhookSecretProblem(TEST_SECRET)).toBeUndefined();
    expect(webhookSecretProblem(newWebhookSecret('hex'))).toBeUndefined();
    expect(webhookSecretProblem(newWebhookSecret('whsec'))).toBeUndefined();
    expect(webhookSecretProblem('')).toBe('is empty');
    expect(webhookSecretProblem('x'.repeat(MIN_WEBHOOK_SECRET_LENGTH - 1))).toMatch(/at least 16/);
    expect(webhookSecretProblem('whsec_')).toMatch(/0 key bytes/);
    expect(webhookSecretProblem(`whsec_${Buffer.alloc(8).toString('base64')}`)).toMatch(/8 key bytes/);
    expect(webhookSecretProblem('whsec_not base64 at all!')).toMatch(/not base64/);
  });

  it('makes hex and whsec_ secrets of 32 random bytes', () => {
    expect(newWebhookSecret()).toMatch(/^[0-9a-f]{64}$/);
    const w = newWebhookSecret('whsec');
    expect(w).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(w.slice(6), 'base64')).toHaveLength(32);
  });

  it('refuses a short DOKPLOY_WEBHOOK_SECRET at start, naming the variable and which secret', () => {
    expect(() => loadConfig({ DOKPLOY_WEBHOOK_SECRET: `${TEST_SECRET},short` })).toThrow(ConfigError);
    expect(() => loadConfig({ DOKPLOY_WEBHOOK_SECRET: `${TEST_SECRET},short` })).toThrow(/DOKPLOY_WEBHOOK_SECRET: secret 2 is 5 characters long/);
    expect(() => loadConfig({ DOKPLOY_WEBHOOK_SECRET: ' , ' })).toThrow(/DOKPLOY_WEBHOOK_SECRET: is set but holds no secret/);
    expect(loadConfig({ DOKPLOY_WEBHOOK_SECRET: TEST_SECRET }).webhook.secrets).toEqual([TEST_SECRET]);
  });

  it('refuses an empty or short data/webhook-secret file, naming the file; generates one when there is none', () => {
    const dir = tempDir();
    const made = ensureWebhookSecret(dir);
    expect(made).toMatchObject({ created: true });
    expect(readFileSync(made.path, 'utf8').trim()).toBe(made.secret);
    expect(ensureWebhookSecret(dir)).toMatchObject({ secret: made.secret, created: false });
    for (const content of ['', '\n', 'short\n']) {
      writeFileSync(made.path, content);
      expect(() => ensureWebhookSecret(dir)).toThrow(WebhookSecretError);
      expect(() => ensureWebhookSecret(dir)).toThrow(`the webhook secret from the file ${made.path} is`);
    }
  });

  it('`slipway start` with an empty secret file stops with one clear line and exit code 1', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'webhook-secret'), '');
    const r = spawnSync(process.execPath, [BIN, 'start'], {
      env: { ...process.env, SLIPWAY_DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', DOKPLOY_WEBHOOK_SECRET: '', LOG_LEVEL: 'silent', SLIPWAY_DEMO: 'false' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`slipway: the webhook secret from the file ${join(dir, 'webhook-secret')} is empty. Put a secret in it, or delete it to have one generated`);
  });
});
