/**
 * Submit to live (issue 12, item 3): from "Create and deploy" to the answer that opens the dialog,
 * and to the first live event of the publish job ("Rendering …", broadcast to the dialog),
 * on the demo (SQLite, local runner, Slipway-hosted repositories). Beside it in the same run: a
 * bare authenticated GET (the floor of any call) and the old way, where create waited for the
 * publish (SLIPWAY_PUBLISH_WAIT_MS=60000). Each round waits for the previous deployment to end,
 * so its CI does not load the next round. `--rounds 5`.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DeploymentChange } from '../../apps/server/src/deployments/broadcaster.ts';
import { ADMIN, startTestServer, type TestServer } from '../../apps/server/src/test-support/server.ts';
import { table } from '../lib.ts';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (xs: number[]) => `${median(xs).toFixed(0)} ms (max ${Math.max(...xs).toFixed(0)})`;

async function measure(waitMs: string) {
  const s: TestServer = await startTestServer('sqlite', { SLIPWAY_DEMO: 'true', SLIPWAY_PUBLISH_WAIT_MS: waitMs });
  const seen: { at: number; c: DeploymentChange }[] = [];
  s.ctx.broadcaster.add({ publish: (c) => void seen.push({ at: performance.now(), c }) });
  const token = await s.ctx.auth.createToken(ADMIN.email, 'bench');
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const get: number[] = [], answer: number[] = [], firstStep: number[] = [];
  try {
    for (let i = 0; i < rounds + 1; i++) {
      let t = performance.now();
      await (await fetch(`${s.url}/api/auth/me`, { headers })).json();
      const g = performance.now() - t;
      const slug = `bench${waitMs}x${i}`;
      t = performance.now();
      const r = await fetch(`${s.url}/api/admin/modules`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: slug, fields: [{ name: 'title', type: 'string' }], applications: ['backend', 'frontend'] }),
      });
      const body = (await r.json()) as { deployment?: { deployment_id: string } };
      const a = performance.now() - t;
      if (!body.deployment) throw new Error(`no deployment in the answer (${r.status})`);
      const id = body.deployment.deployment_id;
      let step: { at: number } | undefined;
      let end: { c: DeploymentChange } | undefined;
      for (const deadline = Date.now() + 120_000; Date.now() < deadline && !end; await sleep(20)) {
        step ??= seen.find((x) => x.c.deploymentId === id && /^Rendering |pushing .* to /.test(x.c.payload.message ?? ''));
        end = seen.find((x) => x.c.deploymentId === id && ['success', 'failed', 'cancelled'].includes(x.c.payload.status));
      }
      if (!end) throw new Error(`deployment ${id} did not end`);
      if (i === 0) continue; // warm-up: first mirror, first build
      get.push(g);
      answer.push(a);
      // Already broadcast before the answer (the old way): the dialog's first live event is the answer itself.
      if (step) firstStep.push(Math.max(step.at - t, a));
    }
  } finally {
    await s.close();
  }
  return { get, answer, firstStep };
}

const now = await measure('0');
const old = await measure('60000');
console.log(table([
  ['mode', 'bare authenticated GET', 'submit → answer (dialog opens)', 'submit → first live publish event'],
  ['Slipway (answers once stored)', fmt(now.get), fmt(now.answer), fmt(now.firstStep)],
  ['before: create waited for the publish', fmt(old.get), fmt(old.answer), fmt(old.answer)],
]));
process.exit(0);
