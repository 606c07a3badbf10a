/**
 * Issue #16, item 3: notifications. Real receivers on loopback: an HTTP sink that verifies the
 * Standard Webhooks signature with the `standardwebhooks` package, Slack- and Discord-format sinks,
 * an SMTP sink (`smtp-server`) with a login. Deployments end through CI's signed webhook, the
 * watchdog, and a rollback; a failing receiver is retried with backoff and the API shows it; members
 * manage only their own modules' channels; no secret is ever answered or logged.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, sendWebhook } from '../test-support/http.ts';
import { ADMIN, DIALECTS, startTestServer, TEST_SECRET, type TestServer } from '../test-support/server.ts';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** An HTTP receiver: records every POST, answers what `answer` says (default 200). */
async function sink(answer: (r: Received, n: number) => number = () => 200) {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      got.push(r);
      res.statusCode = answer(r, got.length);
      res.end(res.statusCode < 300 ? 'ok' : 'receiver is down');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { got, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const SMTP_PASSWORD = 'smtp-password-0f3c9a';
const WEBHOOK_SECRET = `whsec_${Buffer.from('a-signing-secret-of-32-bytes-ok!').toString('base64')}`;

describe.each(DIALECTS)('notification channels on %s', (dialect) => {
  let s: TestServer;
  let admin: string;
  let alice: string;
  let mallory: string;
  let aliceId: number;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-notify-'));
  const logs: string[] = [];
  let hook: Awaited<ReturnType<typeof sink>>;
  let slack: Awaited<ReturnType<typeof sink>>;
  let discord: Awaited<ReturnType<typeof sink>>;
  let flaky: Awaited<ReturnType<typeof sink>>;
  let smtp: SMTPServer;
  let smtpPort = 0;
  const mails: { from: string; to: string[]; data: string; user: string | undefined }[] = [];
  let run = 0;

  beforeAll(async () => {
    hook = await sink();
    slack = await sink();
    discord = await sink(() => 204);
    // Down for its first two deliveries, then up.
    flaky = await sink((_r, n) => (n <= 2 ? 503 : 200));
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth(auth, _session, cb) {
        if (auth.username === 'slipway' && auth.password === SMTP_PASSWORD) return cb(null, { user: 'slipway' });
        return cb(new Error('Invalid username or password'));
      },
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({ from: String(session.envelope.mailFrom && session.envelope.mailFrom.address), to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString('utf8'), user: session.user as string | undefined });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
    smtpPort = (smtp.server.address() as AddressInfo).port;

    writeFileSync(join(dir, 'apps.json'), JSON.stringify({ applications: [{ id: 'plain' }] }));
    s = await startTestServer(dialect, {
      SLIPWAY_DEMO: 'false',
      SLIPWAY_CONFIG: join(dir, 'apps.json'),
      DEPLOYMENT_STALE_AFTER_SECONDS: '0.3',
      WATCHDOG_INTERVAL_SECONDS: '3600',
    });
    // Every line the server logs, to check that no secret is in one.
    const log = s.ctx.notifications as unknown as { d: { log: { info: (o: object, m: string) => void; warn: (o: object, m: string) => void } } };
    const inner = log.d.log;
    log.d.log = {
      info: (o, m) => (logs.push(JSON.stringify({ o, m })), inner.info(o, m)),
      warn: (o, m) => (logs.push(JSON.stringify({ o, m })), inner.warn(o, m)),
    };
    await s.ctx.auth.addUser('alice@example.com', 'alice-password', 'member');
    await s.ctx.auth.addUser('mallory@example.com', 'mallory-password', 'member');
    admin = await s.ctx.auth.createToken(ADMIN.email, 't');
    alice = await s.ctx.auth.createToken('alice@example.com', 't');
    mallory = await s.ctx.auth.createToken('mallory@example.com', 't');
    const db = s.ctx.database.db;
    aliceId = (await db.selectFrom('users').select('id').where('email', '=', 'alice@example.com').executeTakeFirstOrThrow()).id;
    const now = new Date().toISOString();
    for (const slug of ['boats', 'rafts']) {
      await db.insertInto('modules').values({ slug, name: slug, definition: '{}', owner_id: aliceId, version: 1, created_at: now, updated_at: now }).execute();
    }
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    await Promise.all([hook?.close(), slack?.close(), discord?.close(), flaky?.close(), new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()))]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** CI reports one run of `slug` (the spec's signed webhook); its deployment id. */
  async function ci(slug: string, statuses: string[]): Promise<string> {
    const base = { deploymentId: `run-${++run}`, applicationId: 'plain', branch: `module/${slug}`, commit: `c0ffee${run}`, moduleName: slug };
    let id = '';
    for (const status of statuses) {
      const r = await sendWebhook(s.url, { ...base, status }, TEST_SECRET);
      expect(r.body.outcome).toBe('accepted');
      id = r.body.deployment_id;
    }
    return id;
  }
  const channels = async (token: string) => (await call(s.url, 'GET', '/api/admin/notification-channels', { token })).body.data as any[];

  it('members manage channels of their own modules only; admins global ones; secrets are never answered', async () => {
    const forMallory = await call(s.url, 'POST', '/api/admin/notification-channels', { token: mallory, body: { name: 'spy', kind: 'webhook', events: ['deployment.succeeded'], module: 'boats', url: `${hook.url}/spy` } });
    expect(forMallory.status).toBe(403);
    const global = await call(s.url, 'POST', '/api/admin/notification-channels', { token: alice, body: { name: 'all', kind: 'webhook', events: ['deployment.succeeded'], url: `${hook.url}/all` } });
    expect(global.status).toBe(403);
    const bad = await call(s.url, 'POST', '/api/admin/notification-channels', { token: alice, body: { name: 'ftp', kind: 'webhook', events: ['deployment.failed'], module: 'boats', url: 'file:///etc/passwd' } });
    expect(bad.status).toBe(422);
    expect(bad.body.details[0].field).toBe('url');
    const creds = await call(s.url, 'POST', '/api/admin/notification-channels', { token: admin, body: { name: 'c', kind: 'slack', events: ['deployment.failed'], url: 'https://user:pw@hooks.slack.com/services/x' } });
    expect(creds.status).toBe(422);
    expect((await call(s.url, 'POST', '/api/admin/notification-channels', { token: admin, body: { name: 'x', kind: 'webhook', events: ['deployment.exploded'], url: hook.url } })).status).toBe(422);

    const own = await call(s.url, 'POST', '/api/admin/notification-channels', {
      token: alice,
      body: { name: 'Boats hook', kind: 'webhook', events: ['deployment.succeeded', 'deployment.failed', 'deployment.stuck', 'deployment.rolled_back'], module: 'boats', url: `${hook.url}/boats?token=sekrit-query`, secret: WEBHOOK_SECRET },
    });
    expect(own.status).toBe(201);
    expect(own.body).toMatchObject({ kind: 'webhook', module: 'boats', owner_id: aliceId, target: `${hook.url}/…`, secret_hint: `…${WEBHOOK_SECRET.slice(-4)}` });
    expect(own.body).not.toHaveProperty('secret');
    expect(JSON.stringify(own.body)).not.toContain('sekrit-query');

    // A generated secret is answered once, at creation.
    const gen = await call(s.url, 'POST', '/api/admin/notification-channels', { token: alice, body: { name: 'Rafts hook', kind: 'webhook', events: ['deployment.succeeded'], module: 'rafts', url: `${hook.url}/rafts` } });
    expect(gen.status).toBe(201);
    expect(gen.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const listed = JSON.stringify(await channels(alice));
    expect(listed).not.toContain(gen.body.secret);
    expect(listed).not.toContain(WEBHOOK_SECRET);

    // Mallory sees none of Alice's channels, and cannot delete them.
    expect(await channels(mallory)).toEqual([]);
    expect((await call(s.url, 'DELETE', `/api/admin/notification-channels/${gen.body.id}`, { token: mallory })).status).toBe(403);
    expect((await call(s.url, 'DELETE', `/api/admin/notification-channels/${gen.body.id}`, { token: alice })).status).toBe(204);
    expect((await call(s.url, 'DELETE', `/api/admin/notification-channels/${gen.body.id}`, { token: alice })).status).toBe(404);
    // Admins see everyone's.
    expect((await channels(admin)).map((c) => c.name)).toContain('Boats hook');
  });

  it('webhook: every event arrives signed (Standard Webhooks, verified by the standardwebhooks package)', async () => {
    const ok = await ci('boats', ['running', 'done']);
    const bad = await ci('boats', ['running', 'error']);
    // Stuck: CI went silent; the watchdog fails it.
    const silent = await ci('boats', ['running']);
    await until('the watchdog to fail the silent deployment', async () => (await s.ctx.watchdog.runOnce()).some((a) => String(a.deploymentId) === silent && a.action === 'failed'));
    // A rollback (marked rollback_of) that CI takes to success.
    const now = new Date().toISOString();
    const change = await s.ctx.database.db.transaction().execute((trx) =>
      s.ctx.deployments.create(trx, { moduleSlug: 'boats', branch: 'module/boats', commit: null, ownerId: aliceId, targets: [{ applicationId: 'plain', commitSha: null }], rollbackOf: Number(ok) }, now),
    );
    s.ctx.broadcaster.publish(change);
    const rolled = await ci('boats', ['done']);
    expect(rolled).toBe(change.deploymentId);
    // Another module's deployment does not reach a channel filtered on boats.
    await ci('rafts', ['done']);

    const boats = await until('four deliveries to the boats hook', () => hook.got.filter((r) => r.path.startsWith('/boats')).length >= 4 && hook.got.filter((r) => r.path.startsWith('/boats')));
    const wh = new Webhook(WEBHOOK_SECRET);
    const events = boats.map((r) => {
      const verified = wh.verify(r.body, { 'webhook-id': r.headers['webhook-id'] as string, 'webhook-timestamp': r.headers['webhook-timestamp'] as string, 'webhook-signature': r.headers['webhook-signature'] as string }) as { type: string; data: { deployment_id: string; rollback_of: string | null; module_slug: string } };
      // A tampered body fails the same check: the signature covers it.
      expect(() => wh.verify(r.body.replace('boats', 'boatz'), r.headers as Record<string, string>)).toThrow();
      return verified;
    });
    expect(events.map((e) => [e.type, e.data.deployment_id]).sort()).toEqual(
      [
        ['deployment.succeeded', ok],
        ['deployment.failed', bad],
        ['deployment.stuck', silent],
        ['deployment.rolled_back', rolled],
      ].sort(),
    );
    expect(events.find((e) => e.type === 'deployment.rolled_back')!.data.rollback_of).toBe(ok);
    expect(boats.every((r) => r.path === '/boats?token=sekrit-query')).toBe(true);
    // Each delivery once, and visible with its outcome.
    await new Promise((r) => setTimeout(r, 500));
    expect(hook.got.filter((r) => r.path.startsWith('/boats'))).toHaveLength(4);
    const ch = (await channels(alice)).find((c) => c.name === 'Boats hook');
    expect(ch.recent_deliveries).toHaveLength(4);
    expect(ch.recent_deliveries.every((d: any) => d.status === 'delivered' && d.attempts === 1 && d.response_status === 200)).toBe(true);
  }, 60_000);

  it('slack, discord and email: their formats; a failing receiver is retried with backoff and the API shows it', async () => {
    const mk = async (body: object) => {
      const r = await call(s.url, 'POST', '/api/admin/notification-channels', { token: admin, body });
      expect(r.status).toBe(201);
      return r.body;
    };
    await mk({ name: 'Slack', kind: 'slack', events: ['deployment.failed'], url: `${slack.url}/services/T000/B000/slack-secret-path` });
    const dc = await mk({ name: 'Discord', kind: 'discord', events: ['deployment.failed'], module: 'rafts', url: `${discord.url}/api/webhooks/1/discord-secret-token` });
    const mail = await mk({ name: 'Ops mail', kind: 'email', events: ['deployment.failed'], smtp: { host: '127.0.0.1', port: smtpPort, secure: false, username: 'slipway', password: SMTP_PASSWORD, from: 'slipway@example.com', to: ['ops@example.com'] } });
    const fl = await mk({ name: 'Flaky', kind: 'webhook', events: ['deployment.failed'], url: `${flaky.url}/in` });
    expect(dc.target).toBe(`${discord.url}/…`);
    expect(mail.target).toBe(`127.0.0.1:${smtpPort} → ops@example.com`);
    expect(JSON.stringify(mail)).not.toContain(SMTP_PASSWORD);

    const failed = await ci('rafts', ['running', 'error']);
    const sl = await until('the Slack message', () => slack.got[0]);
    const slackJson = JSON.parse(sl.body);
    expect(slackJson.text).toContain(`*Module 'rafts' failed to deploy (deployment ${failed})*`);
    const di = await until('the Discord message', () => discord.got[0]);
    const discordJson = JSON.parse(di.body);
    expect(discordJson).toMatchObject({ username: 'Slipway', content: `Module 'rafts' failed to deploy (deployment ${failed})`, embeds: [{ color: 0xc62828 }], allowed_mentions: { parse: [] } });
    const m = await until('the email', () => mails[0]);
    expect(m).toMatchObject({ from: 'slipway@example.com', to: ['ops@example.com'], user: 'slipway' });
    expect(m.data).toContain(`Subject: [Slipway] Module 'rafts' failed to deploy (deployment ${failed})`);

    // The flaky receiver: 503, 503, then 200. Retried with backoff (1 s, then 2 s), visible while it fails.
    const retrying = await until('a failed first attempt shown', async () => {
      const d = (await channels(admin)).find((c) => c.id === fl.id)?.recent_deliveries[0];
      return d?.status === 'retrying' && d;
    });
    expect(retrying).toMatchObject({ attempts: 1, response_status: 503, last_error: expect.stringContaining('answered HTTP 503') });
    const delivered = await until('the third attempt to be delivered', async () => {
      const d = (await channels(admin)).find((c) => c.id === fl.id)?.recent_deliveries[0];
      return d?.status === 'delivered' && d;
    }, 30_000);
    expect(delivered).toMatchObject({ attempts: 3, response_status: 200, last_error: null });
    expect(flaky.got).toHaveLength(3);
    // The same webhook-id on every attempt, so a receiver can drop repeats; later than the first by the backoff.
    expect(new Set(flaky.got.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const dc2 = (await channels(admin)).find((c) => c.id === dc.id);
    expect(dc2.recent_deliveries[0]).toMatchObject({ status: 'delivered', response_status: 204 });
    const ml = (await channels(admin)).find((c) => c.id === mail.id);
    expect(ml.recent_deliveries[0]).toMatchObject({ status: 'delivered', response_status: 250 });

    // No secret in any answer or log line.
    const everything = JSON.stringify(await channels(admin)) + logs.join('\n');
    for (const secret of [SMTP_PASSWORD, 'slack-secret-path', 'discord-secret-token', WEBHOOK_SECRET, 'sekrit-query']) expect(everything).not.toContain(secret);
    expect(logs.some((l) => l.includes('notification attempt failed'))).toBe(true);
  }, 60_000);

  it('the catch-up queues the deliveries of a deployment whose end was committed but never broadcast, once', async () => {
    const channel = (await channels(admin)).find((c) => c.name === 'Slack');
    const before = slack.got.length;
    // A deployment that ended in a process that died before broadcasting: committed, never published.
    const now = new Date().toISOString();
    const lost = await s.ctx.database.db.transaction().execute(async (trx) => {
      const c = await s.ctx.deployments.create(trx, { moduleSlug: 'boats', branch: 'module/boats', commit: null, ownerId: aliceId, targets: [{ applicationId: 'plain', commitSha: null }] }, now);
      await s.ctx.deployments.failUnfinished(trx, Number(c.deploymentId), 'the runner crashed', now);
      return c.deploymentId;
    });
    // A channel made after it ended is not sent old news.
    await call(s.url, 'POST', '/api/admin/notification-channels', { token: admin, body: { name: 'Late', kind: 'webhook', events: ['deployment.failed'], url: `${hook.url}/late` } });
    const queued = await s.ctx.notifications.catchUp();
    // Slack, Ops mail, Flaky (global, failed) and Boats hook (boats): not Discord (rafts), not Late.
    expect(queued).toHaveLength(4);
    const m = await until('the Slack message of the lost deployment', () => slack.got.slice(before).find((r) => r.body.includes(`deployment ${lost})`)));
    expect(JSON.parse(m.body).text).toContain("Module 'boats' failed to deploy");
    expect(await s.ctx.notifications.catchUp()).toEqual([]);
    const shown = (await channels(admin)).find((c) => c.id === channel.id).recent_deliveries.find((d: any) => d.deployment_id === lost);
    expect(shown).toMatchObject({ event: 'deployment.failed' });
    await until('the boats hook to get it too', () => hook.got.some((r) => r.path.startsWith('/boats') && JSON.parse(r.body).data.deployment_id === lost));
    expect(hook.got.some((r) => r.path === '/late')).toBe(false);

    // Retention: finished deliveries older than JOB_RETENTION_DAYS go (here: all of them, from the future).
    await until('every delivery to end', async () => (await channels(admin)).every((c) => c.recent_deliveries.every((d: any) => d.status === 'delivered' || d.status === 'failed')));
    expect(await s.ctx.notifications.prune(new Date(Date.now() + 60_000).toISOString())).toBeGreaterThan(0);
    expect((await channels(admin)).flatMap((c) => c.recent_deliveries)).toEqual([]);
  }, 30_000);
});
