import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../db/database.ts';
import type { DialectTraits } from '../db/dialect.ts';
import type { TransactionBatcher } from '../db/transaction-batcher.ts';
import type { CiReport } from '@slipway/contracts';
import type { Broadcaster, DeploymentChange } from '../deployments/broadcaster.ts';
import type { DeploymentsService, ReportInput, ReportResult } from '../deployments/deployments.service.ts';
import type { DeliveriesStore, DeliveryRecord } from './deliveries.store.ts';
import { parseReport, toReportInput } from './parse-report.ts';
import { verifySignature, type Headers } from './signature.ts';
import { errorText, signedBodyText, signedHeaders, storable, unsignedHeaders } from './delivery-record.ts';
import { deploymentLogFields } from '../deployments/deployment-log.ts';

/** What became of a delivery (the `outcome` of `webhook_deliveries`). */
export type DeliveryOutcome = 'accepted' | 'ignored' | 'duplicate' | 'rejected';

export interface IntakeAnswer {
  status: number;
  outcome: DeliveryOutcome;
  body: Record<string, unknown>;
  /** The delivery carried a valid signature. Those without one count against the client's reject limit. */
  signed: boolean;
}

/** Where the intake reports each delivery (metrics/ implements it); optional. */
export interface IntakeMetrics {
  /**
   * One delivery answered (or `failed`: not stored, a 500), and how long the intake took.
   * `reason`: the error code of a rejected one (`invalid_signature`, `malformed_json`, …).
   */
  delivery(outcome: DeliveryOutcome | 'failed', seconds: number, reason?: string): void;
  /** A delivery refused with 429 by the reject limit, before the intake saw it. */
  rateLimited(): void;
}

export interface WebhookIntakeDeps {
  /** Every write of the intake goes through it: deliveries that arrive together commit together. */
  writes: TransactionBatcher;
  traits: DialectTraits;
  deployments: DeploymentsService;
  deliveries: DeliveriesStore;
  broadcaster: Broadcaster;
  /** Read on every delivery, so secrets can be rotated without a restart of this object. */
  secrets: () => readonly string[];
  toleranceSeconds: number;
  awaitConfirmation: (applicationId: string) => boolean;
  /** Called after a rejected delivery was recorded (the retention sweep keeps their number capped). */
  onRejected?: () => void;
  /**
   * Follow-ups of an accepted change (Dokploy's confirmation job), written in the delivery's own
   * transaction: acknowledged means queued too, whenever the process dies. A throw fails the delivery.
   */
  followUps?: ((db: Db, accepted: AcceptedReport) => Promise<void>)[];
  clock?: () => number;
  log: FastifyBaseLogger;
  metrics?: IntakeMetrics;
}

/** A CI report that changed a deployment (inside the delivery's transaction). */
export interface AcceptedReport {
  deploymentId: number;
  /** As CI sent it (its status word: `running`/`done`/`error`/…). */
  report: CiReport;
  /** As the deployment domain took it (the mapped status). */
  input: ReportInput;
  change: DeploymentChange;
}

const DUPLICATE = Symbol('duplicate delivery');
const MAX_CLIENT_CHARS = 100;

type RecordBase = Pick<DeliveryRecord, 'received_at' | 'headers' | 'body' | 'signature_valid'>;

/**
 * Signed CI status webhooks: verify, validate, deduplicate, apply, and only then answer 2xx —
 * the delivery record and the deployment change commit in one transaction, so an acknowledged
 * webhook is never lost, and a bad one changes nothing.
 */
export class WebhookIntake {
  private readonly clock: () => number;
  constructor(private readonly deps: WebhookIntakeDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  /**
   * `client`: the sender's address, for the log line of a delivery without a valid signature.
   * `reqId`: the HTTP request's id, on the delivery's log line (as on the request's own lines).
   */
  receive(raw: Buffer, headers: Headers, client?: string, reqId?: string): Promise<IntakeAnswer> {
    return this.timed(() => this.handle(raw, headers, client, reqId));
  }

  /** A delivery refused before its body could be read (too large): its signature is unknown. */
  refuse(headers: Headers, client: string | undefined, status: number, error: string, message: string, reqId?: string): Promise<IntakeAnswer> {
    return this.timed(() => this.rejectUnsigned(this.clock(), headers, client, undefined, status, error, message, reqId));
  }

  /** The routes refused a delivery with 429 (the client's reject limit): counted, never stored. */
  noteRateLimited(): void {
    this.deps.metrics?.rateLimited();
  }

  private async timed(work: () => Promise<IntakeAnswer>): Promise<IntakeAnswer> {
    const metrics = this.deps.metrics;
    if (!metrics) return work();
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    try {
      const a = await work();
      metrics.delivery(a.outcome, seconds(), a.outcome === 'rejected' ? String(a.body.error) : undefined);
      return a;
    } catch (err) {
      metrics.delivery('failed', seconds());
      throw err;
    }
  }

  private async handle(raw: Buffer, headers: Headers, client?: string, reqId?: string): Promise<IntakeAnswer> {
    const { log } = this.deps;
    const nowMs = this.clock();
    const now = new Date(nowMs).toISOString();
    const verification = verifySignature(raw, headers, this.deps.secrets(), nowMs, this.deps.toleranceSeconds);
    if (!verification.ok) {
      return this.rejectUnsigned(nowMs, headers, client, raw.length, 401, 'invalid_signature', verification.reason, reqId);
    }
    const shown = signedHeaders(headers);
    const base: RecordBase = { received_at: now, headers: JSON.stringify(shown), body: signedBodyText(raw), signature_valid: 1 };
    const parsed = parseReport(raw, nowMs, this.deps.toleranceSeconds);
    // One line per delivery, once its outcome is known: with the request's id, the deployment it
    // changed and CI's id of the run.
    const line = { reqId, headers: shown, body: bodyForLog(raw), signature_valid: true };
    if (!parsed.ok) {
      log.info({ ...line, error: errorText(parsed.error, parsed.message) }, 'Dokploy webhook received');
      return this.reject(base, parsed.status, parsed.error, parsed.message, parsed.details);
    }
    try {
      const answer = await this.apply(parsed.report, base, verification.idempotencyKey, now);
      const id = answer.body.deployment_id as string | undefined;
      log.info({ ...line, outcome: answer.outcome, ...deploymentLogFields(id, parsed.report.deploymentId) }, 'Dokploy webhook received');
      return answer;
    } catch (err) {
      log.info({ ...line, ...deploymentLogFields(undefined, parsed.report.deploymentId), error: `not stored: ${(err as Error).message}` }, 'Dokploy webhook received');
      throw err;
    }
  }

  /** Applies a signed, well-formed report: the deployment change and the delivery record commit together. */
  private async apply(report: CiReport, base: RecordBase, key: string, now: string): Promise<IntakeAnswer> {
    const { writes, deliveries } = this.deps;
    const input = toReportInput(report, this.deps.awaitConfirmation);
    let result: ReportResult | 'duplicate' | undefined;
    // A unique violation is another writer's concurrent commit (a copy of this delivery, or a
    // target of this run that another instance created): the unit runs once more and sees it.
    for (let round = 1; result === undefined; round++) {
      try {
        result = await writes.run(async (trx) => {
          const r = await this.deps.deployments.report(trx, input, now);
          const first = await deliveries.recordOnce(trx, {
            ...base,
            outcome: r.kind === 'changed' ? 'accepted' : 'ignored',
            http_status: 200,
            error: r.kind === 'ignored' ? r.reason : null,
            idempotency_key: key,
            deployment_id: r.deploymentId,
          });
          // Seen before: undo this unit's change (duplicates are rare; checking first costs every
          // delivery a query).
          if (!first) throw DUPLICATE;
          if (r.kind === 'changed') {
            for (const followUp of this.deps.followUps ?? []) await followUp(trx, { deploymentId: r.deploymentId, report, input, change: r.change });
          }
          return r;
        });
      } catch (err) {
        if (err === DUPLICATE) result = 'duplicate';
        else if (!this.deps.traits.isUniqueViolation(err) || round >= 3) throw err;
      }
    }

    if (result === 'duplicate') {
      await writes.run((trx) => deliveries.record(trx, { ...base, outcome: 'duplicate', http_status: 200, error: null, idempotency_key: null, deployment_id: null }));
      return { status: 200, outcome: 'duplicate', body: { ok: true, outcome: 'duplicate', message: 'already received; nothing changed' }, signed: true };
    }
    if (result.kind === 'ignored') {
      return { status: 200, outcome: 'ignored', body: { ok: true, outcome: 'ignored', deployment_id: String(result.deploymentId), message: result.reason }, signed: true };
    }
    this.deps.broadcaster.publish(result.change);
    const p = result.change.payload;
    return {
      status: 200,
      outcome: 'accepted',
      body: { ok: true, outcome: 'accepted', deployment_id: p.deployment_id, status: p.status, progress: p.progress, sequence: p.sequence },
      signed: true,
    };
  }

  /**
   * Anyone can send these: a bounded record and log line (a few short headers, the size, the
   * reason), never the body (docs/security.md, "Unauthenticated input").
   */
  private rejectUnsigned(nowMs: number, headers: Headers, client: string | undefined, bytes: number | undefined, status: number, error: string, message: string, reqId?: string) {
    const kept = unsignedHeaders(headers);
    this.deps.log.info(
      { reqId, client: client === undefined ? undefined : storable(client, MAX_CLIENT_CHARS), headers: kept, bytes, signature_valid: false, error: errorText(error, message) },
      'Dokploy webhook received',
    );
    return this.reject({ received_at: new Date(nowMs).toISOString(), headers: JSON.stringify(kept), body: null, signature_valid: 0 }, status, error, message);
  }

  private async reject(base: RecordBase, status: number, error: string, message: string, details?: unknown): Promise<IntakeAnswer> {
    const rejected: DeliveryRecord = { ...base, outcome: 'rejected', http_status: status, error: errorText(error, message), idempotency_key: null, deployment_id: null };
    await this.deps.writes.run((trx) => this.deps.deliveries.record(trx, rejected));
    this.deps.onRejected?.();
    return { status, outcome: 'rejected', body: details ? { error, message, details } : { error, message }, signed: base.signature_valid === 1 };
  }
}

function bodyForLog(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return raw.subarray(0, 2048).toString('utf8');
  }
}
