import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('has embedded defaults: port 3000, SQLite under ./data', () => {
    const c = loadConfig({}, '/srv/app');
    expect(c.port).toBe(3000);
    expect(c.database).toEqual({ kind: 'sqlite', file: '/srv/app/data/slipway.db' });
    expect(c.webhook.secrets).toEqual([]);
  });

  it('reads PostgreSQL and rotated secrets', () => {
    const c = loadConfig({ DATABASE_URL: 'postgres://u@h/db', DOKPLOY_WEBHOOK_SECRET: 'old-secret-0123456789, new-secret-0123456789' });
    expect(c.database).toEqual({ kind: 'postgres', url: 'postgres://u@h/db' });
    expect(c.webhook.secrets).toEqual(['old-secret-0123456789', 'new-secret-0123456789']);
  });

  it('names every bad value at once', () => {
    try {
      loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', SLIPWAY_ADMIN_EMAIL: 'nope', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const msg = (err as Error).message;
      for (const name of ['PORT', 'DATABASE_URL', 'SLIPWAY_ADMIN_EMAIL', 'LOG_LEVEL']) expect(msg).toContain(name);
    }
  });

  it('reads and checks the applications file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slipway-config-'));
    writeFileSync(join(dir, 'apps.yaml'), 'applications:\n  - id: backend\n    repoUrl: /tmp/backend.git\n');
    expect(loadConfig({ SLIPWAY_CONFIG: 'apps.yaml' }, dir).applications).toEqual([{ id: 'backend', repoUrl: '/tmp/backend.git', baseBranch: 'main' }]);
    writeFileSync(join(dir, 'bad.yaml'), 'applications:\n  - id: Backend\n    colour: blue\n');
    expect(() => loadConfig({ SLIPWAY_CONFIG: 'bad.yaml' }, dir)).toThrow(/applications\.0\.id[\s\S]*colour|colour[\s\S]*applications\.0\.id/);
    expect(() => loadConfig({ SLIPWAY_CONFIG: 'missing.yaml' }, dir)).toThrow(/SLIPWAY_CONFIG: cannot read/);
  });
});
