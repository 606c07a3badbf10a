import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Shortest webhook secret accepted: shorter ones (and an empty file) can be guessed or are a mistake. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;

/** Standard Webhooks' secret format: `whsec_` and the base64 of the key bytes. */
const WHSEC = /^whsec_([A-Za-z0-9+/]*={0,2})$/;

export type WebhookSecretFormat = 'hex' | 'whsec';

/**
 * A new webhook secret. `hex`: 32 random bytes as 64 hex digits (as `openssl rand -hex 32`), what
 * the spec's examples use. `whsec`: the same 32 bytes as Standard Webhooks writes them
 * (`whsec_<base64>`), which its official libraries read without options.
 */
export function newWebhookSecret(format: WebhookSecretFormat = 'hex'): string {
  const key = randomBytes(32);
  return format === 'whsec' ? `whsec_${key.toString('base64')}` : key.toString('hex');
}

/** Why a webhook secret is refused, or undefined when it is usable. Pure. */
export function webhookSecretProblem(secret: string): string | undefined {
  if (secret.length === 0) return 'is empty';
  if (secret.startsWith('whsec_')) {
    const m = WHSEC.exec(secret);
    if (!m || m[1]!.length % 4 !== 0) return 'starts with whsec_ but the rest is not base64';
    const bytes = Buffer.from(m[1]!, 'base64').length;
    if (bytes < MIN_WEBHOOK_SECRET_LENGTH) return `holds ${bytes} key bytes after whsec_; at least ${MIN_WEBHOOK_SECRET_LENGTH} are needed (make one: slipway secret --format whsec)`;
    return undefined;
  }
  if (secret.length < MIN_WEBHOOK_SECRET_LENGTH) {
    return `is ${secret.length} characters long; at least ${MIN_WEBHOOK_SECRET_LENGTH} are needed (make one: slipway secret)`;
  }
  return undefined;
}

/** A start-up refusal the CLI prints as one line (`expected`), naming where the secret came from. */
export class WebhookSecretError extends Error {
  readonly expected = true;
  constructor(source: string, problem: string) {
    super(`the webhook secret from ${source} ${problem}`);
    this.name = 'WebhookSecretError';
  }
}

/**
 * The webhook secret when DOKPLOY_WEBHOOK_SECRET is unset: generated once (as `openssl rand -hex 32`
 * would) and kept in the data folder, so the embedded pipeline works with no set-up and the
 * secret survives restarts. A file that holds an unusable secret (empty, short) is refused, not
 * used as an HMAC key.
 */
export function ensureWebhookSecret(dataDir: string): { secret: string; path: string; created: boolean } {
  const path = join(dataDir, 'webhook-secret');
  if (existsSync(path)) {
    const secret = readFileSync(path, 'utf8').trim();
    const problem = webhookSecretProblem(secret);
    if (problem) throw new WebhookSecretError(`the file ${path}`, `${problem}. Put a secret in it, or delete it to have one generated`);
    return { secret, path, created: false };
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = newWebhookSecret('hex');
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return { secret, path, created: true };
}
