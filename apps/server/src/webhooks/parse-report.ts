import { ciReportSchema, mapCiStatus, moduleSlugFromBranch, type CiReport } from '@slipway/contracts';
import type { ReportInput } from '../deployments/deployments.service.ts';
import { storable } from './delivery-record.ts';

export type Parsed =
  | { ok: true; report: CiReport }
  | { ok: false; status: 400 | 422 | 401; error: string; message: string; details?: { field: string; message: string }[] };

const NUL_ESCAPE = '\\u0000';

/** U+0000 in a string becomes U+FFFD: PostgreSQL cannot store it, and both databases must answer alike. */
function withoutNul(_key: string, value: unknown): unknown {
  return typeof value === 'string' ? storable(value) : value;
}

/** Raw body → validated CI report, or the 4xx that says why. Pure: the clock is a parameter. */
export function parseReport(raw: Buffer, nowMs: number, toleranceSeconds: number): Parsed {
  let json: unknown;
  try {
    // JSON can carry U+0000 only as the escape `\u0000`; look for it before paying for a reviver.
    json = JSON.parse(raw.toString('utf8'), raw.includes(NUL_ESCAPE) ? withoutNul : undefined);
  } catch (err) {
    return { ok: false, status: 400, error: 'malformed_json', message: `body is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { ok: false, status: 422, error: 'invalid_payload', message: 'body must be a JSON object' };
  }
  const parsed = ciReportSchema.safeParse(json);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({ field: i.path.join('.') || '(body)', message: i.message }));
    return { ok: false, status: 422, error: 'invalid_payload', message: details.map((d) => `${d.field}: ${d.message}`).join('; '), details };
  }
  const ts = parsed.data.timestamp;
  if (ts && Math.abs(nowMs - Date.parse(ts)) > toleranceSeconds * 1000) {
    return { ok: false, status: 401, error: 'stale_timestamp', message: `timestamp ${ts} is more than ${toleranceSeconds}s away from the server's clock` };
  }
  return { ok: true, report: parsed.data };
}

/** The spec's payload → what the deployment domain takes. */
export function toReportInput(r: CiReport, awaitConfirmation: (applicationId: string) => boolean): ReportInput {
  const applicationId = r.applicationId ?? 'default';
  return {
    applicationId,
    status: mapCiStatus(r.status, r.stage, { awaitConfirmation: awaitConfirmation(applicationId) }),
    externalId: r.deploymentId,
    branch: r.branch,
    commitSha: r.commit || undefined,
    moduleSlug: r.moduleName && /^[a-z][a-z0-9-]{0,62}$/.test(r.moduleName) ? r.moduleName : moduleSlugFromBranch(r.branch),
    message: r.message,
    logs: r.logs ?? (r.message ? [r.message] : []),
    url: r.url,
    runUrl: r.runUrl,
    runAttempt: r.runAttempt,
  };
}
