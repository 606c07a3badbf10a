/**
 * CI's side of a webhook stream under chaos: each report is sent to a random instance (as behind a
 * load balancer) and, like the notifier, retried on a network error or a 5xx with a bounded backoff.
 * Every attempt and every 200 is recorded, so the test can check that no acknowledged delivery is lost.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { sendWebhook } from '../test-support/http.ts';

export interface Delivery {
  runId: string;
  status: 'running' | 'done' | 'error';
  stage?: 'build' | 'deploy';
  body: Record<string, unknown>;
}

export interface SenderTally {
  sent: number;
  acknowledged: Delivery[];
  /** Reports given up after every retry (none are expected: instances come back within seconds). */
  abandoned: Delivery[];
}

export function newTally(): SenderTally {
  return { sent: 0, acknowledged: [], abandoned: [] };
}

/** Sends one report until a 200 (or a 4xx, which retrying cannot fix), at most `tries` times. */
export async function deliver(urls: () => string[], d: Delivery, secret: string, tally: SenderTally, tries = 10): Promise<number | undefined> {
  for (let attempt = 0; attempt < tries; attempt++) {
    const all = urls();
    const url = all[Math.floor(Math.random() * all.length)]!;
    tally.sent++;
    const status = await sendWebhook(url, d.body, secret).then(
      (r) => r.status,
      () => undefined,
    );
    if (status === 200) {
      tally.acknowledged.push(d);
      return status;
    }
    if (status !== undefined && status < 500) return status;
    await sleep(Math.min(4_000, 250 * 2 ** attempt));
  }
  tally.abandoned.push(d);
  return undefined;
}

/** One CI run's reports, in the order CI sends them: build started, deploy started, the outcome. */
export function runReports(runId: string, o: { app: string; branch: string; commit: string; outcome: 'done' | 'error' }): Delivery[] {
  const base = { deploymentId: runId, applicationId: o.app, branch: o.branch, commit: o.commit, isModuleBranch: o.branch.startsWith('module/') };
  const make = (status: Delivery['status'], stage: Delivery['stage'], message: string): Delivery => ({
    runId,
    status,
    stage,
    body: { ...base, status, stage, message, timestamp: new Date().toISOString() },
  });
  return [make('running', 'build', `${runId} building`), make('running', 'deploy', `${runId} deploying`), make(o.outcome, 'deploy', `${runId} ${o.outcome}`)];
}
