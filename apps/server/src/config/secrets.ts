import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The webhook secret when DOKPLOY_WEBHOOK_SECRET is unset: generated once (as `openssl rand -hex 32`
 * would) and kept in the data folder, so the embedded pipeline works with no set-up and the
 * secret survives restarts.
 */
export function ensureWebhookSecret(dataDir: string): { secret: string; path: string; created: boolean } {
  const path = join(dataDir, 'webhook-secret');
  if (existsSync(path)) return { secret: readFileSync(path, 'utf8').trim(), path, created: false };
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('hex');
  writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  return { secret, path, created: true };
}
