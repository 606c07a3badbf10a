/**
 * A worker process for job-claims.test.ts: claims jobs of kind 'hold' and never finishes them, its
 * heartbeat renewing the lease, until the test kills it. Arguments: the database config (JSON),
 * the lease in ms.
 */
import { openDatabase } from '../../db/database.ts';
import { JobQueue } from '../job-queue.ts';

const h = openDatabase({ database: JSON.parse(process.argv[2]!) });
const q = new JobQueue(h.db, h.traits, { pollMs: 20, leaseMs: Number(process.argv[3]), owner: `holder-${process.pid}` });
q.register('hold', async (_payload, ctx) => {
  process.stdout.write(`claimed ${ctx.id} attempt ${ctx.attempt}\n`);
  await new Promise(() => undefined);
});
q.start();
setInterval(() => undefined, 60_000);
