/**
 * The kill-mid-publish case on the default set-up: one `slipway start` on SQLite with the demo
 * repositories and the local runner. Each round publishes a new version of a module, kill -9s the
 * server at one point of the flow (right after the first branch is pushed and before the second;
 * while CI builds), restarts it, and checks that the deployment reaches its true end within
 * TERMINAL_BOUND_MS with one commit per version on each repository, one deployment per commit and
 * one runner job per pushed commit.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, TEST_SECRET } from '../test-support/server.ts';
import { Cluster } from './cluster.ts';
import { formatFigures } from './figures.ts';
import { inspectDatabase, type Inspector } from './inspect-db.ts';
import { adminToken, deploymentAt, flowCommit, publish, publishProblems, reach, rerunProblems, runnerJobProblems, type KillPoint, type PublishFlow } from './publish-flow.ts';

const TERMINAL_BOUND_MS = 90_000;
const POINTS: KillPoint[] = ['after-first-push', 'building'];

describe('chaos on one SQLite instance: kill -9 in the middle of a publish', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'slipway-chaos-sqlite-'));
  const reposDir = join(dataDir, 'repos');
  let cluster: Cluster | undefined;
  let inspector: Inspector | undefined;
  let token = '';

  beforeAll(async () => {
    cluster = new Cluster({
      SLIPWAY_DATA_DIR: dataDir,
      DOKPLOY_WEBHOOK_SECRET: TEST_SECRET,
      SLIPWAY_ADMIN_EMAIL: ADMIN.email,
      SLIPWAY_ADMIN_PASSWORD: ADMIN.password,
      SLIPWAY_DEMO: 'true',
      SLIPWAY_RUNNER: 'true',
      LOG_LEVEL: 'warn',
    });
    const server = await cluster.add('sqlite');
    token = await adminToken(server.url);
    inspector = inspectDatabase(join(dataDir, 'slipway.db'));
  }, 120_000);

  afterAll(async () => {
    await inspector?.close().catch(() => undefined);
    await cluster?.stopAll();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('the deployment reaches its true end once, whatever point the kill lands on', { timeout: 400_000 }, async () => {
    const c = cluster!;
    const server = c.instances[0]!;
    const db = inspector!.db;
    const flows: PublishFlow[] = [];
    const killLog: string[] = [];
    const killTimes: number[] = [];
    for (const [n, point] of POINTS.entries()) {
      const flow: PublishFlow = { slug: 'solo', k: n + 1, expected: 'success', sentAt: Date.now(), requests: 0 };
      flows.push(flow);
      const before = flowCommit(reposDir, { ...flow, k: n });
      const request = publish(() => [server.url], token, flow);
      killLog.push(await reach(point, { reposDir, flow, before, db, maxMs: 30_000 }));
      killTimes.push(Date.now());
      await c.kill(server);
      await c.start(server);
      await request;
      while (Date.now() - flow.sentAt < TERMINAL_BOUND_MS) {
        flow.commit ??= flowCommit(reposDir, flow);
        const d = flow.commit ? await deploymentAt(db, flow.commit) : undefined;
        if (d?.settled) {
          flow.terminalAt = Date.now();
          break;
        }
        await sleep(250);
      }
    }
    console.log(
      formatFigures({
        label: 'one SQLite instance',
        iterations: POINTS.length,
        kills: POINTS.length,
        timesToTerminal: flows.filter((f) => f.terminalAt).map((f) => f.terminalAt! - f.sentAt),
        deliveriesSent: 0,
        deliveriesAcknowledged: 0,
        deliveriesApplied: 0,
        extra: { kills: killLog.join('; ') },
      }),
    );
    expect.soft(flows.filter((f) => !f.terminalAt).map((f) => `v${f.k} (commit ${f.commit?.slice(0, 7) ?? 'never pushed'})`), `not at their end within ${TERMINAL_BOUND_MS / 1000} s`).toEqual([]);
    expect.soft(await publishProblems(db, reposDir, flows), 'commits and deployments per version').toEqual([]);
    expect.soft(await runnerJobProblems(db, reposDir, ['solo']), 'runner jobs per pushed commit').toEqual([]);
    expect.soft(await rerunProblems(db, killTimes), 'jobs run again without a kill').toEqual([]);
  });
});
