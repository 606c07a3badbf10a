import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { envSchema } from './env.schema.ts';
import type { RetentionSettings } from '../retention/retention-sweep.ts';
import { parseTrustProxy, type TrustProxy } from '../http/client-address.ts';
import { appFileSchema, type ApplicationConfig } from './app-file.schema.ts';

export type { ApplicationConfig } from './app-file.schema.ts';

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  database: { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };
  publicUrl?: string;
  logLevel: string;
  webhook: {
    /** Empty until the server fills it with a generated secret (see secrets.ts). */
    secrets: string[];
    toleranceSeconds: number;
    maxBodyBytes: number;
    /** Deliveries without a valid signature per client address and minute, before 429 (0: no limit). */
    rejectLimitPerMinute: number;
  };
  /** What the retention sweep deletes (retention/retention-sweep.ts). Ages and interval in ms. */
  retention: RetentionSettings;
  admin: { email?: string; password?: string };
  session: { ttlHours: number; secureCookie: 'auto' | boolean };
  /** Sign-in throttle (auth/login-throttle.ts): per account in the database, per address in memory. Durations in ms. */
  login: { maxFailures: number; windowMs: number; lockMs: number; maxLockMs: number; perAddressPerMinute: number };
  tokens: { maxPerUser: number };
  /** Which proxies' X-Forwarded-* headers are believed (SLIPWAY_TRUST_PROXY); off by default. */
  trustProxy: TrustProxy;
  applications: ApplicationConfig[];
  /** Following Dokploy after CI's `done` (dokploy/confirmation.ts). Durations in milliseconds. */
  dokploy: { requestTimeoutMs: number; confirmTimeoutMs: number; pollIntervalMs: number };
  healthCheck: { attempts: number; intervalMs: number; timeoutMs: number };
  /** Deployments with no news for `staleAfterMs` are reconciled or failed (deployments/watchdog.ts). */
  watchdog: { staleAfterMs: number; intervalMs: number };
  /** GitHub Actions run status for the watchdog; the token is never logged. */
  github: { token?: string; apiUrl: string };
  /** The embedded demo applications (`backend`, `frontend` as hosted repositories) unless configured (SLIPWAY_DEMO). */
  demo: boolean;
  /** The local runner: pipelines of pushes to hosted repositories (SLIPWAY_RUNNER). */
  runner: boolean;
  /** How repository code (pipelines, services, repository packs) is isolated (runner/sandbox.ts). */
  sandbox: {
    mode: 'bwrap' | 'none';
    uid: number;
    limits: { memoryBytes: number; cpuSeconds: number; processes: number; fileSizeBytes: number; openFiles: number; tmpBytes: number };
  };
  /** Module branches are `<prefix><slug>` (SLIPWAY_MODULE_BRANCH_PREFIX). */
  moduleBranchPrefix: string;
  /** How long create/update waits for its publish (SLIPWAY_PUBLISH_WAIT_MS); 0: answers once stored. */
  publishWaitMs: number;
  /** Previews expire this long after their last deploy (SLIPWAY_PREVIEW_TTL_HOURS), in milliseconds. */
  previewTtlMs: number;
  /** How long a shutdown may take (SLIPWAY_SHUTDOWN_TIMEOUT_MS); then the process exits with 1. */
  shutdownTimeoutMs: number;
  /** `/metrics` (SLIPWAY_METRICS, SLIPWAY_METRICS_PORT, SLIPWAY_METRICS_TOKEN): on the app's port unless `port` is set. */
  metrics: { enabled: boolean; port?: number; token?: string };
  /** The environment as given: other parts (realtime) read their own variables from it. */
  env: Record<string, string | undefined>;
}

const DAY_MS = 24 * 3600 * 1000;

/** Thrown with every bad or missing value named, so one start-up shows them all. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function describe(issues: z.core.$ZodIssue[], prefix: string): string[] {
  return issues.map((i) => `${prefix}${i.path.join('.') || '(root)'}: ${i.message}`);
}

/** Reads and validates the configuration. Pure apart from reading SLIPWAY_CONFIG's file. */
export function loadConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Config {
  // Empty variables count as unset: `PORT=` in a .env file should mean "default".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  const problems: string[] = parsed.success ? [] : describe(parsed.error.issues, '');

  let applications: ApplicationConfig[] = [];
  const file = cleaned.SLIPWAY_CONFIG;
  if (file) {
    const path = isAbsolute(file) ? file : resolve(cwd, file);
    try {
      const text = readFileSync(path, 'utf8');
      const raw: unknown = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
      const apps = appFileSchema.safeParse(raw ?? {});
      if (apps.success) applications = apps.data.applications;
      else problems.push(...describe(apps.error.issues, `SLIPWAY_CONFIG (${path}): `));
    } catch (err) {
      problems.push(`SLIPWAY_CONFIG: cannot read ${path}: ${(err as Error).message}`);
    }
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);

  const e = parsed.data;
  const dataDir = resolve(cwd, e.SLIPWAY_DATA_DIR);
  const url = e.DATABASE_URL;
  const database: Config['database'] =
    url && /^postgres/.test(url)
      ? { kind: 'postgres', url }
      : { kind: 'sqlite', file: url ? resolve(cwd, url.replace(/^(sqlite|file):(\/\/)?/, '')) : resolve(dataDir, 'slipway.db') };

  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    database,
    publicUrl: e.SLIPWAY_PUBLIC_URL,
    logLevel: e.LOG_LEVEL,
    webhook: {
      secrets: e.DOKPLOY_WEBHOOK_SECRET ?? [],
      toleranceSeconds: e.WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
      maxBodyBytes: e.WEBHOOK_MAX_BODY_BYTES,
      rejectLimitPerMinute: e.WEBHOOK_REJECT_LIMIT_PER_MINUTE,
    },
    retention: {
      deliveryMaxAgeMs: e.WEBHOOK_DELIVERY_RETENTION_DAYS * DAY_MS,
      rejectedDeliveryMaxAgeMs: e.REJECTED_DELIVERY_RETENTION_DAYS * DAY_MS,
      rejectedDeliveryMaxRows: e.REJECTED_DELIVERY_MAX_ROWS,
      jobMaxAgeMs: e.JOB_RETENTION_DAYS * DAY_MS,
      deploymentEventMaxAgeMs: e.DEPLOYMENT_EVENT_RETENTION_DAYS * DAY_MS,
      intervalMs: e.RETENTION_SWEEP_INTERVAL_SECONDS * 1000,
    },
    admin: { email: e.SLIPWAY_ADMIN_EMAIL, password: e.SLIPWAY_ADMIN_PASSWORD },
    session: {
      ttlHours: e.SESSION_TTL_HOURS,
      secureCookie: e.SLIPWAY_COOKIE_SECURE === 'auto' ? 'auto' : e.SLIPWAY_COOKIE_SECURE === 'true',
    },
    login: {
      maxFailures: e.LOGIN_MAX_FAILURES,
      windowMs: e.LOGIN_FAILURE_WINDOW_SECONDS * 1000,
      lockMs: e.LOGIN_LOCKOUT_SECONDS * 1000,
      maxLockMs: Math.max(e.LOGIN_LOCKOUT_MAX_SECONDS, e.LOGIN_LOCKOUT_SECONDS) * 1000,
      perAddressPerMinute: e.LOGIN_RATE_LIMIT_PER_MINUTE,
    },
    tokens: { maxPerUser: e.API_TOKENS_MAX_PER_USER },
    trustProxy: parseTrustProxy(e.SLIPWAY_TRUST_PROXY),
    applications,
    dokploy: {
      requestTimeoutMs: e.DOKPLOY_REQUEST_TIMEOUT_SECONDS * 1000,
      confirmTimeoutMs: e.DOKPLOY_CONFIRM_TIMEOUT_SECONDS * 1000,
      pollIntervalMs: e.DOKPLOY_POLL_INTERVAL_SECONDS * 1000,
    },
    healthCheck: { attempts: e.HEALTH_CHECK_ATTEMPTS, intervalMs: e.HEALTH_CHECK_INTERVAL_SECONDS * 1000, timeoutMs: e.HEALTH_CHECK_TIMEOUT_SECONDS * 1000 },
    watchdog: { staleAfterMs: e.DEPLOYMENT_STALE_AFTER_SECONDS * 1000, intervalMs: e.WATCHDOG_INTERVAL_SECONDS * 1000 },
    github: { token: e.GITHUB_TOKEN, apiUrl: e.GITHUB_API_URL },
    demo: e.SLIPWAY_DEMO,
    runner: e.SLIPWAY_RUNNER,
    sandbox: {
      mode: e.SLIPWAY_RUNNER_ISOLATION,
      uid: e.SLIPWAY_SANDBOX_UID,
      limits: {
        memoryBytes: e.SLIPWAY_SANDBOX_MEMORY_MB * 1024 * 1024,
        cpuSeconds: e.SLIPWAY_SANDBOX_CPU_SECONDS,
        processes: e.SLIPWAY_SANDBOX_MAX_PROCESSES,
        fileSizeBytes: e.SLIPWAY_SANDBOX_FILE_SIZE_MB * 1024 * 1024,
        openFiles: 4096,
        tmpBytes: e.SLIPWAY_SANDBOX_TMP_MB * 1024 * 1024,
      },
    },
    moduleBranchPrefix: e.SLIPWAY_MODULE_BRANCH_PREFIX,
    publishWaitMs: e.SLIPWAY_PUBLISH_WAIT_MS,
    previewTtlMs: e.SLIPWAY_PREVIEW_TTL_HOURS * 3_600_000,
    shutdownTimeoutMs: e.SLIPWAY_SHUTDOWN_TIMEOUT_MS,
    metrics: { enabled: e.SLIPWAY_METRICS, port: e.SLIPWAY_METRICS_PORT, token: e.SLIPWAY_METRICS_TOKEN },
    env,
  };
}
