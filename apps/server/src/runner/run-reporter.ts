import { buildPayload, send, type SendOptions } from '../../../../packages/notify/notify.mjs';
import type { Stage } from './pipeline-run.ts';

export type FinalStatus = 'done' | 'error';

export interface RunIdentity {
  deploymentId: string;
  applicationId: string;
  branch: string;
  commit: string;
}

export interface ReporterOptions {
  /** Slipway's own `POST /api/webhooks/dokploy/deployment`. */
  webhookUrl: string;
  secret: string;
  run: RunIdentity;
  /** Log lines are sent in batches at most this often while a stage runs. Default 1 s. */
  batchMs?: number;
  sendOptions?: SendOptions;
  onFailure?: (error: string) => void;
}

/**
 * Reports one pipeline run the way CI does: the notifier's `buildPayload` and `send` (signed,
 * retried), so the server cannot tell the local runner from a GitHub Actions job. Reports leave
 * one at a time, in order; log lines go out in batches with the stage they belong to.
 */
export class RunReporter {
  private chain: Promise<void>;
  private pending: string[] = [];
  private stage: Stage = 'build';
  private stageMessage = '';
  private timer: NodeJS.Timeout | undefined;
  private sentAny = false;

  constructor(private readonly o: ReporterOptions) {
    this.chain = Promise.resolve();
  }

  line(text: string): void {
    this.pending.push(text);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.o.batchMs ?? 1000);
  }

  /** A stage begins: what is pending goes out with the previous stage, then `running` for this one. */
  stageStarted(stage: Stage, message: string): void {
    if (this.pending.length) this.flush();
    this.stage = stage;
    this.stageMessage = message;
    this.enqueue('running', { stage, message, logs: [message] });
  }

  /** The last report: lines not sent yet, then the outcome. Resolves when every report has left. */
  async finish(status: FinalStatus, o: { message: string; url?: string; stage?: Stage }): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const logs = [...this.pending.splice(0), o.message];
    this.enqueue(status, { stage: o.stage ?? this.stage, message: o.message, logs, url: o.url });
    await this.chain;
  }

  /** Waits for what was queued (without a final report). */
  async drain(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length) this.flush();
    await this.chain;
  }

  get reported(): boolean {
    return this.sentAny;
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const logs = this.pending.splice(0);
    if (logs.length) this.enqueue('running', { stage: this.stage, message: this.stageMessage || logs[logs.length - 1]!, logs });
  }

  private enqueue(status: 'running' | FinalStatus, r: { stage: Stage; message: string; logs: string[]; url?: string }): void {
    const { run } = this.o;
    const payload: Record<string, unknown> = {
      ...buildPayload({}, { status, stage: r.stage, message: r.message, logs: r.logs, app: run.applicationId, deploymentId: run.deploymentId, branch: run.branch, commit: run.commit }),
    };
    if (r.url) payload.url = r.url;
    this.chain = this.chain
      .then(async () => {
        const res = await send(this.o.webhookUrl, payload, this.o.secret, this.o.sendOptions);
        this.sentAny = true;
        if (!res.ok) this.o.onFailure?.(`report '${status}' (${r.stage}) not accepted: ${res.error ?? `HTTP ${res.status}`}`);
      })
      .catch((err: unknown) => this.o.onFailure?.(`report '${status}' (${r.stage}) failed: ${(err as Error).message}`));
  }
}
