import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKOUT_OWNER, removeStaleCheckouts } from './checkout.ts';

describe('checkouts of runners sharing a data folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-checkouts-'));
  const live = spawn('sleep', ['60'], { stdio: 'ignore' });
  afterAll(() => {
    live.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it("a runner starting removes only what dead runners left, never a live instance's build in progress", async () => {
    const ended = spawn('true', { stdio: 'ignore' });
    await once(ended, 'exit');
    const folders = {
      mine: CHECKOUT_OWNER,
      liveNeighbour: `${hostname()}-${live.pid}`,
      deadNeighbour: `${hostname()}-${ended.pid}`,
      otherHost: 'another-host.example-4242',
    };
    for (const f of Object.values(folders)) {
      mkdirSync(join(dir, f, 'abc1234-0000'), { recursive: true });
      writeFileSync(join(dir, f, 'abc1234-0000', 'package.json'), '{}');
    }

    await removeStaleCheckouts(dir);

    // Another instance on this data folder is building in its folder: it stays whole.
    expect(existsSync(join(dir, folders.liveNeighbour, 'abc1234-0000', 'package.json'))).toBe(true);
    expect(existsSync(join(dir, folders.otherHost, 'abc1234-0000', 'package.json'))).toBe(true);
    // What this process's earlier life and a killed neighbour left is gone.
    expect(existsSync(join(dir, folders.mine))).toBe(false);
    expect(existsSync(join(dir, folders.deadNeighbour))).toBe(false);
  });
});
