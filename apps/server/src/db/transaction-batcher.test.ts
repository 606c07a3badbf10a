import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../test-support/server.ts';
import { openTestDatabase } from '../test-support/database.ts';
import type { Db } from './database.ts';
import { TransactionBatcher } from './transaction-batcher.ts';

describe.each(DIALECTS)('group commit on %s', (dialect) => {
  let h: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    h = await openTestDatabase(dialect);
  });
  afterAll(() => h?.dispose());

  const insert = (db: Db, key: string) =>
    db
      .insertInto('webhook_deliveries')
      .values({ received_at: new Date().toISOString(), headers: '{}', body: key, signature_valid: 1, outcome: 'accepted', http_status: 200, idempotency_key: key })
      .returning('id')
      .executeTakeFirstOrThrow();
  const stored = async (keys: string[]) =>
    (await h.db.selectFrom('webhook_deliveries').select('idempotency_key').where('idempotency_key', 'in', keys).execute()).map((r) => r.idempotency_key).sort();

  it('commits the units of one turn together, and answers each only once its write is visible to others', async () => {
    const batcher = new TransactionBatcher(h.db);
    const keys = Array.from({ length: 20 }, (_, i) => `together-${i}`);
    const transactions = new Set<unknown>();
    const seenAtAnswer = await Promise.all(
      keys.map((key) =>
        batcher
          .run(async (trx) => (transactions.add(trx), insert(trx, key)))
          .then(async () => (await stored([key])).length),
      ),
    );
    expect(transactions.size).toBe(1);
    expect(seenAtAnswer).toEqual(keys.map(() => 1));
    expect(await stored(keys)).toEqual([...keys].sort());
  });

  it('keeps a failing unit to itself: it is rolled back and rejected, the rest of its batch commits', async () => {
    const batcher = new TransactionBatcher(h.db);
    const keys = ['alone-0', 'alone-1', 'alone-2', 'alone-3'];
    const results = await Promise.allSettled(
      keys.map((key) =>
        batcher.run(async (trx) => {
          await insert(trx, key);
          if (key === 'alone-2') throw new Error('this unit is broken');
          return key;
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ message: 'this unit is broken' });
    expect(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<string>).value)).toEqual(['alone-0', 'alone-1', 'alone-3']);
    expect(await stored(keys)).toEqual(['alone-0', 'alone-1', 'alone-3']);
  });

  it('runs units in the order they came: a later unit sees an earlier one of its batch', async () => {
    const batcher = new TransactionBatcher(h.db);
    const [, seen] = await Promise.all([
      batcher.run((trx) => insert(trx, 'order-first')),
      batcher.run(async (trx) => (await trx.selectFrom('webhook_deliveries').select('id').where('idempotency_key', '=', 'order-first').execute()).length),
    ]);
    expect(seen).toBe(1);
  });

  it('splits a long queue into batches of at most maxBatch, and units queued during a commit are not forgotten', async () => {
    const batcher = new TransactionBatcher(h.db, 8);
    const transactions = new Map<unknown, number>();
    const keys = Array.from({ length: 30 }, (_, i) => `split-${i}`);
    const first = keys.slice(0, 20).map((key) => batcher.run(async (trx) => (transactions.set(trx, (transactions.get(trx) ?? 0) + 1), insert(trx, key))));
    // Queued while the first batches are running.
    await Promise.resolve();
    const later = keys.slice(20).map((key) => batcher.run((trx) => insert(trx, key)));
    await Promise.all([...first, ...later]);
    expect(Math.max(...transactions.values())).toBeLessThanOrEqual(8);
    expect(await stored(keys)).toEqual([...keys].sort());
  });
});
