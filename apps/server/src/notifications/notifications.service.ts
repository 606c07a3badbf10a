import { isTerminal, NOTIFICATION_EVENTS, type CreateNotificationChannel, type NotificationChannel, type NotificationDelivery, type NotificationEvent } from '@slipway/contracts';
import type { Selectable } from 'kysely';
import type { Db } from '../db/database.ts';
import type { NotificationChannelsTable, NotificationDeliveriesTable } from '../db/schema.ts';
import type { Broadcaster, DeploymentChange } from '../deployments/broadcaster.ts';
import type { Viewer } from '../deployments/deployments.store.ts';
import { PermanentJobError, type JobContext, type JobQueue } from '../jobs/job-queue.ts';
import { PeriodicPass } from '../jobs/periodic-pass.ts';
import { destinationProblem, urlHint } from './destination.ts';
import type { DeploymentNews } from './format.ts';
import { newWebhookSecret, send, type ChannelSecret, type ChannelSettings, type SendInput, type SendResult } from './senders.ts';

export const NOTIFY_JOB = 'notification.deliver';
/** Attempts per delivery; the queue waits 1 s, 2 s, 4 s… (at most 60 s) between them. */
export const NOTIFY_MAX_ATTEMPTS = 6;
/** How the watchdog's verdict reads in a target's message (deployments/watchdog.ts). */
const WATCHDOG_VERDICT = 'marked failed by the watchdog';

type ChannelRow = Selectable<NotificationChannelsTable>;
type DeliveryRow = Selectable<NotificationDeliveriesTable>;

export class NotificationError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface NotificationsDeps {
  db: Db;
  /** The durable queue deliveries run on (a job per delivery, retried with backoff). */
  jobs: JobQueue;
  /** The owner of a module, undefined when there is no such module. */
  moduleOwner: (db: Db, slug: string) => Promise<number | null | undefined>;
  log: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /** How often the leader's catch-up looks for finished deployments whose deliveries were never queued (default 1 min). */
  catchUpIntervalMs?: number;
  /** How far back the catch-up looks (default 1 h). */
  catchUpWindowMs?: number;
  /** Finished deliveries (delivered, failed) older than this are deleted by the catch-up pass, as finished jobs are (JOB_RETENTION_DAYS). */
  deliveryMaxAgeMs?: number;
  /** Bound of one send (default 10 s). */
  timeoutMs?: number;
  clock?: () => number;
  /** The sender (tests may count calls; default: senders.ts). */
  send?: (i: SendInput) => Promise<SendResult>;
}

/**
 * Deployment notifications (docs/notifications.md). As a Broadcaster it sees every committed change
 * of a deployment; when one ends (success or failed) it records one delivery per channel that wants
 * that event, and queues a durable job for each, in one transaction. The job sends, records the
 * outcome, and on failure is retried with backoff, up to NOTIFY_MAX_ATTEMPTS.
 */
export class NotificationsService implements Broadcaster {
  private readonly clock: () => number;
  private readonly catchUpPass: PeriodicPass<number[]>;
  constructor(private readonly d: NotificationsDeps) {
    this.clock = d.clock ?? Date.now;
    this.catchUpPass = new PeriodicPass({
      name: 'notifications catch-up',
      intervalMs: d.catchUpIntervalMs ?? 60_000,
      pass: () => this.catchUp(),
      log: { error: (obj: object, msg: string) => d.log.warn(obj, msg) } as never,
    });
  }

  /** Leader duty (context.ts): the catch-up, at start and every interval, on one instance. */
  start(): void {
    this.catchUpPass.start();
  }

  stop(): Promise<void> {
    return this.catchUpPass.stop();
  }

  /**
   * Deployments that ended within the window and whose deliveries were never recorded (the process
   * that committed the end died before the broadcast): their deliveries are queued now, for the
   * channels that existed when they ended. Answers the deliveries it queued.
   */
  async catchUp(): Promise<number[]> {
    const queued = await this.queueFinished(new Date(this.clock() - (this.d.catchUpWindowMs ?? 3_600_000)).toISOString());
    if (this.d.deliveryMaxAgeMs !== undefined) await this.prune(new Date(this.clock() - this.d.deliveryMaxAgeMs).toISOString());
    return queued;
  }

  /** Deletes finished deliveries last changed before `before`; answers how many. */
  async prune(before: string): Promise<number> {
    const r = await this.d.db.deleteFrom('notification_deliveries').where('status', 'in', ['delivered', 'failed']).where('updated_at', '<', before).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  private async queueFinished(since: string): Promise<number[]> {
    const ended = await this.d.db.selectFrom('deployments').select(['id', 'finished_at']).where('status', 'in', ['success', 'failed']).where('finished_at', '>=', since).orderBy('id').execute();
    const out: number[] = [];
    for (const d of ended) out.push(...(await this.onFinished(d.id, { createdBy: d.finished_at!, missingOnly: true })));
    if (out.length) this.d.log.info({ deliveries: out }, `notifications: ${out.length} deliveries of finished deployments queued by the catch-up`);
    return out;
  }

  register(): void {
    this.d.jobs.register(NOTIFY_JOB, (p: { deliveryId: number }, ctx: JobContext) => this.deliver(p.deliveryId, ctx), { concurrency: 4 });
  }

  /** Broadcaster: a deployment that ended is news. Never throws, never blocks the caller. */
  publish(change: DeploymentChange): void {
    const status = change.payload.status;
    if (status !== 'success' && status !== 'failed') return;
    void this.onFinished(Number(change.deploymentId)).catch((err) => this.d.log.warn({ err, deploymentId: change.deploymentId }, 'notifications: queueing the deliveries failed'));
  }

  /** Records and queues the deliveries of a finished deployment (once per channel and event: repeats change nothing). */
  async onFinished(deploymentId: number, o: { createdBy?: string; missingOnly?: boolean } = {}): Promise<number[]> {
    const news = await this.news(this.d.db, deploymentId);
    if (!news) return [];
    const channels = (await this.d.db.selectFrom('notification_channels').selectAll().execute()).filter(
      (c) => c.events.split(',').includes(news.event) && (c.module_slug === null || c.module_slug === news.module_slug) && (!o.createdBy || c.created_at <= o.createdBy),
    );
    const messageIdOf = (channelId: number) => `msg_${deploymentId}_${news.event.slice('deployment.'.length)}_${channelId}`;
    const recorded = new Set(
      o.missingOnly && channels.length
        ? (await this.d.db.selectFrom('notification_deliveries').select('message_id').where('message_id', 'in', channels.map((c) => messageIdOf(c.id))).execute()).map((r) => r.message_id)
        : [],
    );
    const now = this.iso();
    const ids: number[] = [];
    for (const c of channels) {
      const messageId = messageIdOf(c.id);
      if (recorded.has(messageId)) continue;
      ids.push(
        await this.d.db.transaction().execute(async (trx) => {
          const inserted = await trx
            .insertInto('notification_deliveries')
            .values({ channel_id: c.id, event: news.event, deployment_id: deploymentId, message_id: messageId, status: 'queued', attempts: 0, last_error: null, response_status: null, created_at: now, updated_at: now })
            .onConflict((oc) => oc.column('message_id').doNothing())
            .returning('id')
            .executeTakeFirst();
          const id = inserted?.id ?? (await trx.selectFrom('notification_deliveries').select('id').where('message_id', '=', messageId).executeTakeFirstOrThrow()).id;
          await this.d.jobs.enqueue(trx, { type: NOTIFY_JOB, payload: { deliveryId: id }, key: `notify:${messageId}`, maxAttempts: NOTIFY_MAX_ATTEMPTS });
          return id;
        }),
      );
    }
    return ids;
  }

  /** What a notification says about deployment `id`; undefined when it has not ended (success, failed). */
  async news(db: Db, id: number): Promise<DeploymentNews | undefined> {
    const d = await db.selectFrom('deployments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!d || !isTerminal(d.status) || (d.status !== 'success' && d.status !== 'failed')) return undefined;
    const targets = await db.selectFrom('deployment_targets').selectAll().where('deployment_id', '=', id).orderBy('application_id').execute();
    const stuck = d.status === 'failed' && targets.some((t) => t.status === 'failed' && (t.message ?? '').includes(WATCHDOG_VERDICT));
    const event: NotificationEvent = d.status === 'success' ? (d.rollback_of !== null ? 'deployment.rolled_back' : 'deployment.succeeded') : stuck ? 'deployment.stuck' : 'deployment.failed';
    return {
      event,
      deployment_id: String(d.id),
      module_slug: d.module_slug,
      status: d.status,
      message: d.message,
      url: d.url,
      commit_sha: d.commit_sha,
      rollback_of: d.rollback_of === null ? null : String(d.rollback_of),
      finished_at: d.finished_at,
      targets: targets.map((t) => ({ application_id: t.application_id, status: t.status, commit_sha: t.commit_sha, url: t.url, message: t.message })),
    };
  }

  /** The job: one attempt of one delivery; its outcome is recorded whatever happens. */
  private async deliver(deliveryId: number, ctx: JobContext): Promise<{ outcome: string }> {
    const delivery = await this.d.db.selectFrom('notification_deliveries').selectAll().where('id', '=', deliveryId).executeTakeFirst();
    if (!delivery) return { outcome: 'channel deleted' };
    if (delivery.status === 'delivered') return { outcome: 'delivered already' };
    const channel = await this.d.db.selectFrom('notification_channels').selectAll().where('id', '=', delivery.channel_id).executeTakeFirst();
    if (!channel) return { outcome: 'channel deleted' };
    const news = await this.news(this.d.db, delivery.deployment_id);
    if (!news) return { outcome: 'deployment gone' };
    news.event = delivery.event as NotificationEvent;
    const now = new Date(this.clock());
    let r: SendResult;
    try {
      r = await (this.d.send ?? send)({
        kind: channel.kind,
        settings: JSON.parse(channel.settings) as ChannelSettings,
        secret: JSON.parse(channel.secret) as ChannelSecret,
        news,
        messageId: delivery.message_id,
        now,
        timeoutMs: this.d.timeoutMs ?? 10_000,
      });
    } catch (err) {
      r = { ok: false, status: null, error: (err as Error).message.slice(0, 300) };
    }
    const last = ctx.attempt >= NOTIFY_MAX_ATTEMPTS;
    const status = r.ok ? 'delivered' : last ? 'failed' : 'retrying';
    await this.d.db
      .updateTable('notification_deliveries')
      .set({ status, attempts: ctx.attempt, response_status: r.status, last_error: r.ok ? null : (r.error ?? 'failed'), updated_at: now.toISOString() })
      .where('id', '=', deliveryId)
      .execute();
    // The line names the channel and the receiver's answer, never its URL or secret.
    const line = { channel: channel.id, kind: channel.kind, delivery: deliveryId, event: delivery.event, deploymentId: String(delivery.deployment_id), attempt: ctx.attempt, status: r.status };
    if (r.ok) {
      this.d.log.info(line, 'notification delivered');
      return { outcome: 'delivered' };
    }
    this.d.log.warn({ ...line, error: r.error }, last ? 'notification failed: no attempts left' : 'notification attempt failed; retried with backoff');
    if (last) throw new PermanentJobError(r.error ?? 'failed', 'notification_failed');
    throw new Error(r.error ?? 'failed');
  }

  // ---- channels ----

  async list(viewer: Viewer): Promise<NotificationChannel[]> {
    let q = this.d.db.selectFrom('notification_channels').selectAll().orderBy('id');
    if (viewer.role !== 'admin') q = q.where('owner_id', '=', viewer.id);
    const rows = await q.execute();
    const out: NotificationChannel[] = [];
    for (const c of rows) {
      const deliveries = await this.d.db.selectFrom('notification_deliveries').selectAll().where('channel_id', '=', c.id).orderBy('id', 'desc').limit(10).execute();
      out.push(view(c, deliveries));
    }
    return out;
  }

  /**
   * A new channel. Admins: global (no module) or for any module. Members: for a module they own
   * only (else 403). Answers the channel and, when Slipway generated the webhook secret, that secret once.
   */
  async create(viewer: Viewer, input: CreateNotificationChannel & { events: NotificationEvent[] }): Promise<NotificationChannel & { secret?: string }> {
    const module = input.module ?? null;
    if (module === null && viewer.role !== 'admin') throw new NotificationError(403, 'forbidden', 'only admins manage global channels: name one of your modules in `module`');
    if (module !== null) {
      const owner = await this.d.moduleOwner(this.d.db, module);
      if (owner === undefined) {
        if (viewer.role !== 'admin') throw new NotificationError(403, 'forbidden', `'${module}' is not one of your modules`);
        throw new NotificationError(422, 'unknown_module', `no module '${module}'`);
      }
      if (viewer.role !== 'admin' && owner !== viewer.id) throw new NotificationError(403, 'forbidden', `'${module}' is not one of your modules`);
    }
    const settings: ChannelSettings = {};
    const secret: ChannelSecret = {};
    let generated: string | undefined;
    if (input.kind === 'email') {
      const s = input.smtp;
      if (!s) throw invalid('smtp', 'an email channel needs smtp: host, from, to');
      Object.assign(settings, { host: s.host, port: s.port ?? 587, secure: s.secure ?? false, username: s.username, from: s.from, to: s.to });
      if (s.password) secret.password = s.password;
    } else {
      if (!input.url) throw invalid('url', `a ${input.kind} channel needs a url`);
      const problem = destinationProblem(input.url);
      if (problem) throw invalid('url', `the URL ${problem}`);
      secret.url = input.url;
      if (input.kind === 'webhook') {
        if (input.secret && !/^whsec_[A-Za-z0-9+/]{22,}={0,2}$/.test(input.secret)) throw invalid('secret', 'a Standard Webhooks secret: whsec_ and at least 16 bytes in base64 (`slipway secret --format whsec`)');
        secret.secret = input.secret ?? (generated = newWebhookSecret());
      }
    }
    const events = [...new Set(input.events)].filter((e) => (NOTIFICATION_EVENTS as readonly string[]).includes(e));
    const now = this.iso();
    const row = await this.d.db
      .insertInto('notification_channels')
      .values({ name: input.name, kind: input.kind, events: events.join(','), module_slug: module, owner_id: viewer.id, settings: JSON.stringify(settings), secret: JSON.stringify(secret), created_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ...view(row, []), ...(generated ? { secret: generated } : {}) };
  }

  /** Deletes a channel and its deliveries: admins any, members their own (403 otherwise). */
  async remove(viewer: Viewer, id: number): Promise<void> {
    const c = await this.d.db.selectFrom('notification_channels').select(['id', 'owner_id']).where('id', '=', id).executeTakeFirst();
    if (!c) throw new NotificationError(404, 'not_found', `no notification channel ${id}`);
    if (viewer.role !== 'admin' && c.owner_id !== viewer.id) throw new NotificationError(403, 'forbidden', `notification channel ${id} is not yours`);
    await this.d.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('notification_deliveries').where('channel_id', '=', id).execute();
      await trx.deleteFrom('notification_channels').where('id', '=', id).execute();
    });
  }

  private iso(): string {
    return new Date(this.clock()).toISOString();
  }
}

function invalid(field: string, message: string): NotificationError & { details: { field: string; message: string }[] } {
  return Object.assign(new NotificationError(422, 'invalid_input', `${field}: ${message}`), { details: [{ field, message }] });
}

/** A channel as the API shows it: never a secret, never a Slack/Discord/webhook URL's path. */
function view(c: ChannelRow, deliveries: DeliveryRow[]): NotificationChannel {
  const settings = JSON.parse(c.settings) as ChannelSettings;
  const secret = JSON.parse(c.secret) as ChannelSecret;
  const target = c.kind === 'email' ? `${settings.host}:${settings.port} → ${(settings.to ?? []).join(', ')}` : urlHint(secret.url ?? '');
  return {
    id: c.id,
    name: c.name,
    kind: c.kind,
    events: c.events.split(',').filter(Boolean) as NotificationEvent[],
    module: c.module_slug,
    owner_id: c.owner_id,
    target,
    secret_hint: c.kind === 'webhook' && secret.secret ? `…${secret.secret.slice(-4)}` : null,
    created_at: c.created_at,
    recent_deliveries: deliveries.map(deliveryView),
  };
}

function deliveryView(d: DeliveryRow): NotificationDelivery {
  return {
    id: d.id,
    event: d.event as NotificationEvent,
    deployment_id: String(d.deployment_id),
    status: d.status,
    attempts: d.attempts,
    response_status: d.response_status,
    last_error: d.last_error,
    created_at: d.created_at,
    updated_at: d.updated_at,
  };
}
