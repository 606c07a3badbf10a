import { signWebhook, type AppCredentials } from './signatures.ts';

/** The events Pusher sends to an application's webhook URL, with its field names. */
export type WebhookEvent =
  | { name: 'channel_occupied' | 'channel_vacated'; channel: string }
  | { name: 'member_added' | 'member_removed'; channel: string; user_id: string }
  | { name: 'client_event'; channel: string; event: string; data: string; socket_id: string; user_id?: string };

export interface WebhookOptions {
  url: string;
  app: AppCredentials;
  /** Events are gathered this long, then sent in one request (`{time_ms, events}`). */
  batchMs: number;
  /** Attempts per batch (the first included); between them, `retryBaseMs` doubling. */
  maxAttempts: number;
  retryBaseMs: number;
  onError: (err: unknown) => void;
  timeoutMs?: number;
}

/** Events waiting at most; beyond it new ones are dropped (an application that is down must not cost memory without end). */
const MAX_QUEUED = 10_000;
const MAX_BATCH = 100;

/**
 * Webhooks to the application, as Pusher sends them: a JSON body `{time_ms, events}`, signed with
 * `X-Pusher-Key` and `X-Pusher-Signature` (hex HMAC-SHA256 of the body with the app secret), so
 * the `pusher` SDK's `webhook(req).isValid()` accepts them. Batched, retried with backoff on a
 * network error or a non-2xx answer, then dropped with a log line.
 */
export class WebhookSender {
  private queue: WebhookEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly retries = new Set<NodeJS.Timeout>();
  private dropped = 0;
  private closed = false;

  constructor(private readonly opts: WebhookOptions) {}

  send(event: WebhookEvent): void {
    if (this.closed) return;
    if (this.queue.length >= MAX_QUEUED) {
      if (this.dropped++ === 0) this.opts.onError(new Error(`webhook queue full (${MAX_QUEUED} events): dropping events until it drains`));
      return;
    }
    this.queue.push(event);
    this.timer ??= setTimeout(() => this.flush(), this.opts.batchMs);
  }

  private flush(): void {
    this.timer = null;
    this.dropped = 0;
    while (this.queue.length > 0) this.attempt(this.queue.splice(0, MAX_BATCH), 1);
  }

  private attempt(events: WebhookEvent[], n: number): void {
    const body = JSON.stringify({ time_ms: Date.now(), events });
    const p = this.post(body).then(
      () => {},
      (err) => {
        if (n >= this.opts.maxAttempts || this.closed) {
          this.opts.onError(new Error(`webhook to the application failed ${n} times, ${events.length} events dropped: ${(err as Error).message}`));
          return;
        }
        const t = setTimeout(() => {
          this.retries.delete(t);
          this.attempt(events, n + 1);
        }, this.opts.retryBaseMs * 2 ** (n - 1));
        t.unref();
        this.retries.add(t);
      },
    );
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async post(body: string): Promise<void> {
    const res = await fetch(this.opts.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Pusher-Key': this.opts.app.key, 'X-Pusher-Signature': signWebhook(this.opts.app, body) },
      body,
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000),
    });
    await res.arrayBuffer().catch(() => {});
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
  }

  /** Sends what is queued now (one attempt each), waits for requests in flight; pending retries are abandoned. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.flush();
    this.closed = true;
    for (const t of this.retries) clearTimeout(t);
    await Promise.allSettled([...this.inFlight]);
  }
}
