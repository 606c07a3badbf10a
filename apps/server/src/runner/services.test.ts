import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ServiceSupervisor } from './services.ts';
import { testSandbox } from './test-sandbox.ts';

describe('ServiceSupervisor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-services-'));
  const supervisor = new ServiceSupervisor({ sandbox: testSandbox([]), stopGraceMs: 500 });
  afterAll(async () => {
    await supervisor.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps a service's log to the server's user (0600)", async () => {
    const release = mkdtempSync(join(dir, 'release-'));
    const logFile = join(dir, 'svc.log');
    await supervisor.start('app/module-x', { command: 'sleep 30', cwd: release, env: { PATH: '/usr/bin:/bin' }, logFile });
    expect(statSync(logFile).mode & 0o777).toBe(0o600);
  });
});
