import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../test-support/database.ts';
import { sign } from '../test-support/http.ts';
import { DIALECTS, TEST_SECRET } from '../test-support/server.ts';
import { WebhookIntake } from './webhook-intake.service.ts';
import { testIntake } from '../test-support/intake.ts';

describe.each(DIALECTS)('what the intake logs and keeps, on %s', (dialect) => {
  let h: Awaited<ReturnType<typeof openTestDatabase>>;
  let intake: WebhookIntake;
  let lines: string[] = [];

  beforeAll(async () => {
    h = await openTestDatabase(dialect);
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) });
    intake = testIntake(h, { log: pino({ level: 'info' }, sink) });
  });
  afterAll(() => h?.dispose());

  it('logs one short line for a delivery without a valid signature: no body, bounded whatever was sent', async () => {
    lines = [];
    const body = Buffer.from(JSON.stringify({ status: 'done', message: 'SECRET-PAYLOAD-'.repeat(15_000) }));
    const headers = { 'content-type': 'application/json', 'user-agent': 'A'.repeat(10_000), 'x-webhook-signature': `sha256=${'0'.repeat(64)}`, 'x-other': 'B'.repeat(10_000) };
    const answer = await intake.receive(body, headers, `10.0.0.1${'9'.repeat(500)}`);
    expect(answer).toMatchObject({ status: 401, signed: false });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('SECRET-PAYLOAD');
    expect(lines[0]).not.toContain('BBBB');
    expect(lines[0]!.length).toBeLessThan(1500);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'Dokploy webhook received', signature_valid: false, bytes: body.length, error: 'invalid_signature: signature does not match' });
  });

  it('still logs the headers and body of a signed delivery (the spec’s debugging line)', async () => {
    lines = [];
    const body = JSON.stringify({ deploymentId: 'log-1', status: 'running', branch: 'module/log', message: 'visible' });
    const answer = await intake.receive(Buffer.from(body), { 'x-webhook-signature': sign(body, TEST_SECRET), cookie: 'session=1' });
    expect(answer).toMatchObject({ status: 200, signed: true });
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ signature_valid: true, body: { message: 'visible' } });
    expect(line.headers.cookie).toBeUndefined();
  });
});
