import type { FastifyBaseLogger } from 'fastify';
import type { DialectTraits } from '../db/dialect.ts';
import type { TransactionBatcher } from '../db/transaction-batcher.ts';
import type { CiReport } from '@slipway/contracts';
import type { Broadcaster, DeploymentChange } from '../deployments/broadcaster.ts';
import type { DeploymentsService, ReportInput, ReportResult } from '../deployments/deployments.service.ts';
import type { DeliveriesStore, DeliveryRecord } from './deliveries.store.ts';
import { parseReport, toReportInput } from './parse-report.ts';
import { verifySignature, type Headers } from './signature.ts';

export interface IntakeAnswer {
  status: number;
  body: Record<string, unknown>;
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
  /** Called after an accepted change committed (e.g. to queue Dokploy's confirmation). A failure is logged, never answered. */
  onAccepted?: ((accepted: AcceptedReport) => void | Promise<void>)[];
  clock?: () => number;
  log: FastifyBaseLogger;
}

/** A CI report that changed a deployment, after its transaction committed. */
export interface AcceptedReport {
  deploymentId: number;
  /** As CI sent it (its status word: `running`/`done`/`error`/…). */
  report: CiReport;
  /** As the deployment domain took it (the mapped status). */
  input: ReportInput;
  change: DeploymentChange;
}

const DUPLICATE = Symbol('duplicate delivery');
const HIDDEN_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);
const MAX_RECORDED_BODY = 64 * 1024;

export function loggableHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HIDDEN_HEADERS.has(k)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

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

  async receive(raw: Buffer, headers: Headers): Promise<IntakeAnswer> {
    const { writes, deliveries, log } = this.deps;
    const nowMs = this.clock();
    const now = new Date(nowMs).toISOString();
    const verification = verifySignature(raw, headers, this.deps.secrets(), nowMs, this.deps.toleranceSeconds);
    const shown = loggableHeaders(headers);
    const base = { received_at: now, headers: JSON.stringify(shown), body: bodyText(raw) };
    log.info({ headers: shown, body: bodyForLog(raw), signature_valid: verification.ok }, 'Dokploy webhook received');

    if (!verification.ok) {
      return this.reject({ ...base, signature_valid: 0 }, 401, 'invalid_signature', verification.reason);
    }
    const parsed = parseReport(raw, nowMs, this.deps.toleranceSeconds);
    if (!parsed.ok) {
      return this.reject({ ...base, signature_valid: 1 }, parsed.status, parsed.error, parsed.message, parsed.details);
    }

    const key = verification.idempotencyKey;
    const input = toReportInput(parsed.report, this.deps.awaitConfirmation);
    let result: ReportResult | 'duplicate';
    try {
      result = await writes.run(async (trx) => {
        const r = await this.deps.deployments.report(trx, input, now);
        const first = await deliveries.recordOnce(trx, {
          ...base,
          signature_valid: 1,
          outcome: r.kind === 'changed' ? 'accepted' : 'ignored',
          http_status: 200,
          error: r.kind === 'ignored' ? r.reason : null,
          idempotency_key: key,
          deployment_id: r.deploymentId,
        });
        // Seen before: undo this unit's change (duplicates are rare; checking first costs every
        // delivery a query).
        if (!first) throw DUPLICATE;
        return r;
      });
    } catch (err) {
      // DUPLICATE, or two copies of one delivery raced and the other committed first.
      if (err !== DUPLICATE && !this.deps.traits.isUniqueViolation(err)) throw err;
      result = 'duplicate';
    }

    if (result === 'duplicate') {
      await writes.run((trx) => deliveries.record(trx, { ...base, signature_valid: 1, outcome: 'duplicate', http_status: 200, error: null, idempotency_key: null, deployment_id: null }));
      return { status: 200, body: { ok: true, outcome: 'duplicate', message: 'already received; nothing changed' } };
    }
    if (result.kind === 'ignored') {
      return { status: 200, body: { ok: true, outcome: 'ignored', deployment_id: String(result.deploymentId), message: result.reason } };
    }
    this.deps.broadcaster.publish(result.change);
    for (const listener of this.deps.onAccepted ?? []) {
      try {
        await listener({ deploymentId: result.deploymentId, report: parsed.report, input, change: result.change });
      } catch (err) {
        log.error({ err, deployment: result.deploymentId }, 'after-accept listener failed');
      }
    }
    const p = result.change.payload;
    return {
      status: 200,
      body: { ok: true, outcome: 'accepted', deployment_id: p.deployment_id, status: p.status, progress: p.progress, sequence: p.sequence },
    };
  }

  /** A delivery refused before its body could be read (too large). */
  async refuse(headers: Headers, status: number, error: string, message: string): Promise<IntakeAnswer> {
    this.deps.log.info({ headers: loggableHeaders(headers), signature_valid: false, error }, 'Dokploy webhook received');
    return this.reject({ received_at: new Date(this.clock()).toISOString(), headers: JSON.stringify(loggableHeaders(headers)), body: null, signature_valid: 0 }, status, error, message);
  }

  private async reject(
    base: { received_at: string; headers: string; body: string | null; signature_valid: number },
    status: number,
    error: string,
    message: string,
    details?: unknown,
  ): Promise<IntakeAnswer> {
    const rejected: DeliveryRecord = { ...base, outcome: 'rejected', http_status: status, error: `${error}: ${message}`, idempotency_key: null, deployment_id: null };
    await this.deps.writes.run((trx) => this.deps.deliveries.record(trx, rejected));
    return { status, body: details ? { error, message, details } : { error, message } };
  }
}

function bodyText(raw: Buffer): string {
  return raw.subarray(0, MAX_RECORDED_BODY).toString('utf8');
}

function bodyForLog(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return raw.subarray(0, 2048).toString('utf8');
  }
}
