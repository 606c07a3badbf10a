import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../test-support/server.ts';
import { openTestDatabase } from '../test-support/database.ts';
import { argNames, prepared } from './prepared.ts';

describe.each(DIALECTS)('prepared queries on %s', (dialect) => {
  let h: Awaited<ReturnType<typeof openTestDatabase>>;
  beforeAll(async () => {
    h = await openTestDatabase(dialect);
  });
  afterAll(() => h?.dispose());

  type Row = { received_at: string; outcome: 'accepted' | 'rejected'; http_status: number; idempotency_key: string | null; body?: string | null };
  const insert = prepared(argNames<Row>({ received_at: true, outcome: true, http_status: true, idempotency_key: true, body: true }), (db, r: Row) =>
    // headers and signature_valid are constants of the query, compiled in.
    db.insertInto('webhook_deliveries').values({ ...r, headers: '{}', signature_valid: 1 }).returning(['id', 'outcome', 'http_status', 'idempotency_key', 'body', 'headers']),
  );
  const byOutcome = prepared(['outcome', 'status'], (db, a: { outcome: 'accepted' | 'rejected'; status: number }) =>
    db.selectFrom('webhook_deliveries').select('idempotency_key').where('outcome', '=', a.outcome).where('http_status', '=', a.status).where('headers', '=', '{}').orderBy('id'),
  );

  it('runs with each call’s own values, on the database and inside transactions alike', async () => {
    const now = new Date().toISOString();
    const first = await insert(h.db, { received_at: now, outcome: 'accepted', http_status: 200, idempotency_key: 'p-1', body: 'one' });
    expect(first).toEqual([{ id: expect.any(Number), outcome: 'accepted', http_status: 200, idempotency_key: 'p-1', body: 'one', headers: '{}' }]);
    await h.db.transaction().execute(async (trx) => {
      await insert(trx, { received_at: now, outcome: 'rejected', http_status: 401, idempotency_key: 'p-2' });
      await insert(trx, { received_at: now, outcome: 'accepted', http_status: 200, idempotency_key: 'p-3', body: null });
    });
    expect(await byOutcome(h.db, { outcome: 'accepted', status: 200 })).toEqual([{ idempotency_key: 'p-1' }, { idempotency_key: 'p-3' }]);
    expect(await byOutcome(h.db, { outcome: 'rejected', status: 401 })).toEqual([{ idempotency_key: 'p-2' }]);
    expect(await byOutcome(h.db, { outcome: 'rejected', status: 200 })).toEqual([]);
  });

  it('sends an argument left undefined as NULL', async () => {
    const [row] = await insert(h.db, { received_at: new Date().toISOString(), outcome: 'rejected', http_status: 400, idempotency_key: null, body: undefined });
    expect(row).toMatchObject({ body: null, idempotency_key: null });
  });
});
