/**
 * Chaos: three `slipway start` processes share one PostgreSQL database, one Redis and one data
 * folder (the hosted demo repositories, their mirrors, the runner's work folders). A bounded loop
 * kill -9s an instance at a point of a module publish (the one answering the request, which the
 * person then sends again; or a random one at a random moment, right after the first branch is
 * pushed, while CI builds, while it deploys) or in the middle of a stream of signed CI reports
 * sent to random instances, then restarts it; every fourth iteration it is
 * redis-server that is killed, the whole stream sent while it is down, and restarted on its port.
 * At the end:
 *
 * - every deployment reached its true end (success, or failed for a version the demo build
 *   refuses) within TERMINAL_BOUND_MS of its first request;
 * - one commit per published version on each repository, one deployment per commit, one runner
 *   job per pushed commit, and no publish or build run again unless an instance died meanwhile;
 *   one deployment per CI run;
 * - every webhook delivery answered 200 has its effect;
 * - a pusher-js subscriber on every instance shows every deployment's final status (from events,
 *   and from the API when it resynchronised after a reconnect).
 *
 * SLIPWAY_CHAOS_ITERATIONS (default 8) and SLIPWAY_CHAOS_INSTANCES (default 3) change the size.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminal, mapCiStatus, statusRank, type DeploymentStatus } from '@slipway/contracts';
import { call } from '../test-support/http.ts';
import { startRedis, type RedisServer } from '../test-support/redis.ts';
import { ADMIN, createPgDatabase, TEST_SECRET } from '../test-support/server.ts';
import { BrowserSubscriber } from './browser.ts';
import { deliver, newTally, runReports, type Delivery } from './ci-sender.ts';
import { Cluster, type Instance } from './cluster.ts';
import { inspectDatabase, type Inspector } from './inspect-db.ts';
import { formatFigures } from './figures.ts';
import { adminToken, deploymentAt, flowCommit, KILL_POINTS, publish, publishProblems, reach, rerunProblems, runnerJobProblems, type PublishFlow } from './publish-flow.ts';

const ITERATIONS = Number(process.env.SLIPWAY_CHAOS_ITERATIONS ?? 8);
const INSTANCES = Number(process.env.SLIPWAY_CHAOS_INSTANCES ?? 3);
/** A deployment must reach its true end this soon after its first request (a dead claimer's work resumes within 30 s). */
const TERMINAL_BOUND_MS = 120_000;
/** Modules published in turn: a slug's next version waits for the previous one to end. */
const SLUGS = ['alpha', 'bravo', 'charlie'];
const RUNS_PER_STREAM = 4;

describe('chaos: instances killed mid-publish and mid-webhook-stream, on one PostgreSQL and one Redis', () => {
  let redis: RedisServer | undefined;
  let pgDb: { url: string; drop(): Promise<void> } | undefined;
  let database: Inspector | undefined;
  let cluster: Cluster | undefined;
  const subscribers: BrowserSubscriber[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'slipway-chaos-'));
  const reposDir = join(dataDir, 'repos');
  let token = '';

  beforeAll(async () => {
    redis = await startRedis();
    pgDb = await createPgDatabase();
    const env = {
      DATABASE_URL: pgDb.url,
      REDIS_URL: redis.url,
      SLIPWAY_DATA_DIR: dataDir,
      DOKPLOY_WEBHOOK_SECRET: TEST_SECRET,
      SLIPWAY_ADMIN_EMAIL: ADMIN.email,
      SLIPWAY_ADMIN_PASSWORD: ADMIN.password,
      PUSHER_APP_SECRET: 'realtime-secret-0123456789',
      SLIPWAY_DEMO: 'true',
      SLIPWAY_RUNNER: 'true',
      LOG_LEVEL: 'warn',
    };
    cluster = new Cluster(env);
    // One after the other: the first one migrates and creates the demo repositories.
    for (let n = 0; n < INSTANCES; n++) await cluster.add(`instance-${n}`);
    database = inspectDatabase(pgDb.url);
    token = await adminToken(cluster.instances[0]!.url);
    const { realtime } = (await call(cluster.instances[0]!.url, 'GET', '/api/config')).body;
    for (const i of cluster.instances) subscribers.push(new BrowserSubscriber(`browser@${i.name}`, i.url, realtime.key, token));
    await Promise.all(subscribers.map((s) => s.subscribed));
  }, 240_000);

  afterAll(async () => {
    for (const s of subscribers) s.disconnect();
    await database?.close().catch(() => undefined);
    await cluster?.stopAll();
    await redis?.stop();
    await pgDb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it('nothing lost, duplicated or stuck; every browser converges', { timeout: 900_000 }, async () => {
    const c = cluster!;
    const db = database!.db;
    const urls = () => c.instances.map((i) => i.url);
    const flows: PublishFlow[] = [];
    const pending: Promise<void>[] = [];
    const tally = newTally();
    const runs: { runId: string; outcome: 'done' | 'error'; sentAt: number; finalAcked: boolean; terminalAt?: number }[] = [];
    const killLog: string[] = [];
    const errors: string[] = [];
    let kills = 0;

    const killTimes: number[] = [];
    const killAndRestart = async (victim: Instance, why: string) => {
      killTimes.push(Date.now());
      await c.kill(victim);
      kills++;
      killLog.push(`${victim.name} ${why}`);
      await c.start(victim);
    };
    let outages = 0;
    const killRedis = async () => {
      process.kill(redis!.pid, 'SIGKILL');
      outages++;
      killLog.push('redis-server during a webhook stream');
      // Until the instances notice: their publishes fail fast from then on.
      await sleep(500);
    };
    const restartRedis = async () => {
      const old = redis!;
      await old.stop().catch(() => undefined);
      redis = await startRedis(old.port);
    };
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)]!;
    const versions = new Map<string, number>();

    for (let n = 0; n < ITERATIONS; n++) {
      const victim = pick(c.instances);
      if (n % 2 === 0) {
        // A publish: the slug whose last version ended longest ago.
        const slug = SLUGS[(n / 2) % SLUGS.length]!;
        const previous = flows.filter((f) => f.slug === slug).at(-1);
        while (previous && previous.terminalAt === undefined && Date.now() - previous.sentAt < TERMINAL_BOUND_MS) await sleep(200);
        const k = (versions.get(slug) ?? 0) + 1;
        versions.set(slug, k);
        const flow: PublishFlow = { slug, k, expected: k % 3 === 2 ? 'failed' : 'success', sentAt: Date.now(), requests: 0 };
        flows.push(flow);
        const before = flowCommit(reposDir, { ...flow, k: k - 1 });
        pending.push(
          publish(urls, token, flow).then(
            () => followFlow(flow),
            (err) => void errors.push(String(err)),
          ),
        );
        const point = pick(KILL_POINTS);
        const reached = await reach(point, { reposDir, flow, before, db, maxMs: 8_000 });
        const target = point === 'while-answering' ? (c.instances.find((i) => i.url === flow.servedBy) ?? victim) : victim;
        await killAndRestart(target, `during ${slug} v${k} publish: ${reached}`);
      } else {
        // A stream of CI runs, each report to a random instance; a kill lands in the middle: of an
        // instance, or (every fourth iteration) of Redis, before the stream, so that all of its
        // events are published while the instances are off the bus. Redis comes back on its port.
        const redisOutage = n % 4 === 3;
        if (redisOutage) await killRedis();
        const stream = Array.from({ length: RUNS_PER_STREAM }, (_, r) => {
          const run = { runId: `chaos-run-${n}-${r}`, outcome: (r % 2 === 0 ? 'done' : 'error') as 'done' | 'error', sentAt: Date.now(), finalAcked: false };
          runs.push(run);
          const reports = runReports(run.runId, { app: 'backend', branch: `module/hook-${n}-${r}`, commit: `${n}${r}`.padStart(7, '0').padEnd(40, 'a'), outcome: run.outcome });
          return (async () => {
            for (const d of reports) {
              const status = await deliver(urls, d, TEST_SECRET, tally);
              if (status !== 200) errors.push(`${d.runId} ${d.status}: answered ${status ?? 'nothing'} after every retry`);
              else if (d === reports.at(-1)) run.finalAcked = true;
            }
          })();
        });
        if (redisOutage) {
          await Promise.all(stream);
          await restartRedis();
        } else {
          await sleep(Math.random() * 400);
          await killAndRestart(victim, 'during a webhook stream');
          await Promise.all(stream);
        }
      }
    }

    // Every flow to its end (each has its own bound).
    async function followFlow(flow: PublishFlow): Promise<void> {
      while (Date.now() - flow.sentAt < TERMINAL_BOUND_MS) {
        flow.commit ??= flowCommit(reposDir, flow);
        const d = flow.commit ? await deploymentAt(db, flow.commit).catch(() => undefined) : undefined;
        if (d?.settled) {
          flow.terminalAt = Date.now();
          flow.status = d.status;
          return;
        }
        await sleep(250);
      }
    }
    await Promise.all(pending);
    for (const run of runs) {
      const t = await db.selectFrom('deployment_targets').select(['status', 'updated_at']).where('external_id', '=', run.runId).executeTakeFirst();
      if (t && isTerminal(t.status as DeploymentStatus)) run.terminalAt = Date.parse(t.updated_at);
    }

    // No acknowledged delivery lost: each one's effect is there (its run's target at least that far).
    let applied = 0;
    const lost: string[] = [];
    for (const d of tally.acknowledged) {
      const targets = await db.selectFrom('deployment_targets').select(['status']).where('external_id', '=', d.runId).execute();
      const want = mapCiStatus(d.status, d.stage);
      if (targets.length === 1 && statusRank(targets[0]!.status) >= statusRank(want)) applied++;
      else lost.push(`${d.runId} ${d.status}/${d.stage}: ${targets.length} targets (${targets.map((t: { status: string }) => t.status).join(', ')})`);
    }
    const runProblems: string[] = [];
    for (const run of runs) {
      const targets = await db.selectFrom('deployment_targets').select(['status', 'deployment_id']).where('external_id', '=', run.runId).execute();
      const want = run.outcome === 'done' ? 'success' : 'failed';
      if (targets.length !== 1) runProblems.push(`${run.runId}: ${targets.length} deployments`);
      else if (targets[0]!.status !== want) runProblems.push(`${run.runId}: ${targets[0]!.status}, its true end is ${want}`);
    }

    const publishIssues = await publishProblems(db, reposDir, flows);
    const runnerIssues = [...(await runnerJobProblems(db, reposDir, SLUGS)), ...(await rerunProblems(db, killTimes))];
    const late = flows.filter((f) => f.terminalAt === undefined).map((f) => `${f.slug} v${f.k} (commit ${f.commit?.slice(0, 7) ?? 'never pushed'})`);

    // Every browser shows every deployment's final status. A browser whose instance was just killed
    // reconnects when pusher-js tries again: its first try fails against the dead port, and it waits
    // out that try's timeout (15 s, then 30 s) before the next, as a real browser does.
    const CONVERGENCE_BOUND_MS = 60_000;
    const finals = await db.selectFrom('deployments').select(['id', 'status']).execute();
    const divergent = async () => {
      const out: string[] = [];
      for (const s of subscribers)
        for (const d of finals) {
          const seen = s.view.get(String(d.id));
          if (seen?.status !== d.status) out.push(`${s.name} (${s.state}): deployment #${d.id} shows ${seen?.status ?? 'nothing'}, is ${d.status}`);
        }
      return out;
    };
    let notConverged = await divergent();
    for (const until = Date.now() + CONVERGENCE_BOUND_MS; notConverged.length && Date.now() < until; ) {
      await sleep(250);
      notConverged = await divergent();
    }

    const times = [...flows.filter((f) => f.terminalAt).map((f) => f.terminalAt! - f.sentAt), ...runs.filter((r) => r.terminalAt).map((r) => r.terminalAt! - r.sentAt)];
    console.log(
      formatFigures({
        label: `${INSTANCES} instances, PostgreSQL + Redis`,
        iterations: ITERATIONS,
        kills: kills + outages,
        timesToTerminal: times,
        deliveriesSent: tally.sent,
        deliveriesAcknowledged: tally.acknowledged.length,
        deliveriesApplied: applied,
        extra: {
          publishes: `${flows.length} (${flows.filter((f) => f.requests > 1).length} sent again after a kill)`,
          'CI runs': runs.length,
          'Redis outages': outages,
          'browser events / reconnects / resync hints / sequence gaps / resyncs': subscribers.map((s) => `${s.events}/${s.reconnects}/${s.hints}/${s.gaps}/${s.resyncs}`).join(', '),
          kills: killLog.join('; '),
        },
      }),
    );

    // Soft: one run reports every kind of problem it found, not only the first.
    expect.soft(errors, 'requests that never got through').toEqual([]);
    expect.soft(late, `deployments not at their end within ${TERMINAL_BOUND_MS / 1000} s`).toEqual([]);
    expect.soft(publishIssues, 'commits and deployments per published version').toEqual([]);
    expect.soft(runnerIssues, 'runner jobs per pushed commit, and runs again only after a kill').toEqual([]);
    expect.soft(runProblems, 'one deployment per CI run, at its true end').toEqual([]);
    expect.soft(lost, 'acknowledged deliveries without their effect').toEqual([]);
    expect.soft(notConverged, `browsers not converged within ${CONVERGENCE_BOUND_MS / 1000} s`).toEqual([]);
  });
});
