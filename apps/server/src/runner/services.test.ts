import { mkdtempSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ServiceSupervisor } from './services.ts';
import { testSandbox } from './test-sandbox.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ServiceSupervisor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-services-'));
  const supervisor = new ServiceSupervisor({ sandbox: testSandbox([]), stopGraceMs: 500 });
  const stateDir = join(dir, 'services');
  const others: ServiceSupervisor[] = [];
  const kept = (o: { stopGraceMs?: number } = {}) => {
    const s = new ServiceSupervisor({ sandbox: testSandbox([]), stopGraceMs: o.stopGraceMs ?? 500, stateDir });
    others.push(s);
    return s;
  };
  afterAll(async () => {
    await supervisor.stopAll();
    for (const s of others) await s.stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps a service's log to the server's user (0600)", async () => {
    const release = mkdtempSync(join(dir, 'release-'));
    const logFile = join(dir, 'svc.log');
    await supervisor.start('app/module-x', { command: 'sleep 30', cwd: release, env: { PATH: '/usr/bin:/bin' }, logFile });
    expect(statSync(logFile).mode & 0o777).toBe(0o600);
  });

  it('keeps the port, command and release of a key across supervisors; stopAll keeps the release, relaunch starts it again', async () => {
    const first = kept();
    const port = await first.portFor('app/module-y');
    const release = mkdtempSync(join(dir, 'release-'));
    await first.start('app/module-y', { command: 'sleep 30', cwd: release, env: { PATH: '/usr/bin:/bin', PORT: String(port) }, logFile: join(dir, 'y.log'), commit: 'c'.repeat(40) });
    const file = join(stateDir, `${encodeURIComponent('app/module-y')}.json`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const record = JSON.parse(readFileSync(file, 'utf8'));
    expect(record).toMatchObject({ key: 'app/module-y', port, spec: { command: 'sleep 30', cwd: release, commit: 'c'.repeat(40) } });
    expect(alive(record.pid)).toBe(true);

    await first.stopAll();
    expect(alive(record.pid)).toBe(false);
    expect(existsSync(release)).toBe(true);

    // A new process (Slipway started again): the same port, and the service from its kept release.
    const second = kept();
    expect(await second.portFor('app/module-y')).toBe(port);
    const { pid } = (await second.relaunch('app/module-y'))!;
    expect(second.isRunning('app/module-y')).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ port, pid, spec: { cwd: release } });

    // Forgotten (a deleted module): stopped, its release and file removed; nothing to relaunch.
    await second.stop('app/module-y', { forget: true });
    expect(alive(pid)).toBe(false);
    expect(existsSync(release) || existsSync(file)).toBe(false);
    expect(await kept().relaunch('app/module-y')).toBeUndefined();
  });

  it('a service whose supervisor died without stopping it (kill -9) is ended when its key starts again elsewhere', async () => {
    const dead = kept(); // never stopped: its process outlives it, as after a kill -9 of Slipway
    const r1 = mkdtempSync(join(dir, 'release-'));
    const { pid: stray } = await dead.start('app/module-z', { command: 'sleep 300', cwd: r1, env: { PATH: '/usr/bin:/bin' }, logFile: join(dir, 'z.log') });
    const next = kept();
    const r2 = mkdtempSync(join(dir, 'release-'));
    const { pid } = await next.start('app/module-z', { command: 'sleep 300', cwd: r2, env: { PATH: '/usr/bin:/bin' }, logFile: join(dir, 'z.log') });
    const gone = Date.now() + 5000;
    while (alive(stray) && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
    expect(alive(stray)).toBe(false);
    expect(alive(pid)).toBe(true);
    // The stray's release went with it.
    expect(existsSync(r1)).toBe(false);
  });
});
