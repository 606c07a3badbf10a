/**
 * The second baseline: the least a durable intake can do, hand-written. Same HTTP framework,
 * same signature check and payload validation (Slipway's own functions), same schema, pragmas,
 * checkpointer and rows per delivery (a new deployment, its target, its first event, the
 * delivery record),
 * committed in groups before answering — but raw better-sqlite3 statements, no logging, no
 * broadcast, no domain code. It shows how much of the gap to the bare route is the cost of a
 * commit on this machine rather than Slipway's own.
 */
import { join } from 'node:path';
import Fastify from 'fastify';
import SQLite from 'better-sqlite3';
import { openDatabase } from '../../apps/server/src/db/database.ts';
import { startCheckpointer } from '../../apps/server/src/db/sqlite-checkpointer.ts';
import { parseReport } from '../../apps/server/src/webhooks/parse-report.ts';
import { verifySignature } from '../../apps/server/src/webhooks/signature.ts';

const file = join(process.env.SLIPWAY_DATA_DIR!, 'minimal.db');
const schema = openDatabase({ database: { kind: 'sqlite', file } });
await schema.migrate();
await schema.close();

const db = new SQLite(file);
// Slipway's storage set-up: the same pragmas, and checkpoints in a worker thread.
for (const p of ['journal_mode = WAL', 'synchronous = NORMAL', 'foreign_keys = ON', 'wal_autocheckpoint = 0', 'mmap_size = 268435456', 'cache_size = -65536']) db.pragma(p);
startCheckpointer(file);
const byExternalId = db.prepare('select * from deployment_targets where external_id = ? and application_id = ? order by id desc limit 1');
const openTarget = db.prepare(
  "select t.* from deployment_targets t join deployments d on d.id = t.deployment_id where d.branch_name = ? and t.application_id = ? and t.status in ('pending', 'building', 'deploying') and t.external_id is null order by t.id desc limit 1",
);
const insertDeployment = db.prepare(
  "insert into deployments (module_slug, branch_name, commit_sha, status, progress, message, owner_id, last_sequence, created_at, updated_at, started_at) values (?, ?, ?, 'building', 10, ?, null, 1, ?, ?, ?) returning id",
);
const insertTarget = db.prepare(
  "insert into deployment_targets (deployment_id, application_id, status, progress, external_id, commit_sha, message, created_at, updated_at, started_at) values (?, ?, 'building', 10, ?, ?, ?, ?, ?, ?) returning id",
);
const insertEvent = db.prepare("insert into deployment_events (deployment_id, sequence, target_id, status, message, logs, created_at) values (?, 1, ?, 'building', ?, ?, ?)");
const insertDelivery = db.prepare(
  "insert into webhook_deliveries (received_at, headers, body, signature_valid, outcome, http_status, idempotency_key, deployment_id) values (?, ?, ?, 1, 'accepted', 200, ?, ?) on conflict (idempotency_key) do nothing returning id",
);

const queue: (() => void)[] = [];
const answers: (() => void)[] = [];
const commitQueued = db.transaction(() => {
  for (const work of queue.splice(0)) work();
});

const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.post('/api/webhooks/dokploy/deployment', (req, reply) => {
  const raw = req.body as Buffer;
  const nowMs = Date.now();
  const verified = verifySignature(raw, req.headers, [process.env.DOKPLOY_WEBHOOK_SECRET!], nowMs, 300);
  if (!verified.ok) return reply.code(401).send({ error: 'invalid_signature' });
  const parsed = parseReport(raw, nowMs, 300);
  if (!parsed.ok) return reply.code(parsed.status).send({ error: parsed.error });
  const r = parsed.report;
  const now = new Date(nowMs).toISOString();
  queue.push(() => {
    // Correlation reads as Slipway's does; the bench's reports are all new deployments.
    if (byExternalId.get(r.deploymentId, r.applicationId) || openTarget.get(r.branch, r.applicationId)) throw new Error('the bench sends new deployments only');
    const deployment = (insertDeployment.get('bench', r.branch, r.commit, r.message, now, now, now) as { id: number }).id;
    const target = (insertTarget.get(deployment, r.applicationId, r.deploymentId, r.commit, r.message, now, now, now) as { id: number }).id;
    insertEvent.run(deployment, target, r.message, JSON.stringify([r.message]), now);
    insertDelivery.get(now, JSON.stringify(req.headers), raw.toString('utf8'), verified.idempotencyKey, deployment);
    answers.push(() => reply.send({ ok: true, outcome: 'accepted', deployment_id: String(deployment), status: 'building', progress: 10, sequence: 1 }));
  });
  // Group commit: everything that arrived in this turn of the event loop commits together.
  if (queue.length === 1) setImmediate(() => (commitQueued(), answers.splice(0).forEach((send) => send())));
  return reply;
});
app.get('/healthz', async () => ({ status: 'ok' }));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
