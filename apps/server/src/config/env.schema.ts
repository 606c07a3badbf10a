import { z } from 'zod';
import { DEFAULT_MODULE_BRANCH_PREFIX, isValidModuleBranchPrefix } from '@slipway/contracts';
import { validTrustProxy } from '../http/client-address.ts';
import { webhookSecretProblem } from './secrets.ts';

const port = z.coerce.number().int().min(0).max(65535);
const seconds = z.coerce.number().int().positive();
/** A duration in seconds; fractions allowed (tests use short ones). */
const duration = z.coerce.number().positive();
const list = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** `true`/`false` (also 1/0, yes/no, on/off). */
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

/**
 * Every environment variable Slipway reads, with its default. One place, so the README's
 * configuration table and the error at start-up name the same things.
 */
export const envSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  SLIPWAY_DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|sqlite:|file:)/, 'must start with postgres://, postgresql://, sqlite: or file:')
    .optional(),
  SLIPWAY_PUBLIC_URL: z.url().optional(),
  SLIPWAY_CONFIG: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // Each secret at least MIN_WEBHOOK_SECRET_LENGTH characters (config/secrets.ts): an empty key signs anything.
  DOKPLOY_WEBHOOK_SECRET: list
    .refine((l) => l.length > 0, 'is set but holds no secret')
    .superRefine((l, ctx) => {
      l.forEach((s, i) => {
        const problem = webhookSecretProblem(s);
        if (problem) ctx.addIssue({ code: 'custom', message: `secret ${i + 1} ${problem}` });
      });
    })
    .optional(),
  WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS: seconds.default(600),
  WEBHOOK_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(50 * 1024 * 1024).default(256 * 1024),
  // Rejected deliveries (no valid signature) per client address and minute; 0 turns the limit off.
  WEBHOOK_REJECT_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(60),
  // Retention sweep (retention/retention-sweep.ts).
  WEBHOOK_DELIVERY_RETENTION_DAYS: duration.default(30),
  REJECTED_DELIVERY_RETENTION_DAYS: duration.default(7),
  REJECTED_DELIVERY_MAX_ROWS: z.coerce.number().int().min(0).default(10_000),
  JOB_RETENTION_DAYS: duration.default(14),
  DEPLOYMENT_EVENT_RETENTION_DAYS: duration.default(90),
  RETENTION_SWEEP_INTERVAL_SECONDS: duration.default(3600),
  SLIPWAY_ADMIN_EMAIL: z.email().optional(),
  SLIPWAY_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  SESSION_TTL_HOURS: seconds.default(24 * 7),
  SLIPWAY_COOKIE_SECURE: z.enum(['auto', 'true', 'false']).default('auto'),
  // Sign-in throttle per account (auth/login-throttle.ts) and per client address; tokens per user.
  LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
  LOGIN_FAILURE_WINDOW_SECONDS: duration.default(900),
  LOGIN_LOCKOUT_SECONDS: duration.default(60),
  LOGIN_LOCKOUT_MAX_SECONDS: duration.default(3600),
  LOGIN_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(20),
  API_TOKENS_MAX_PER_USER: z.coerce.number().int().min(1).max(10_000).default(100),
  // Which proxies may set X-Forwarded-* (http/client-address.ts). Off: clients could spoof them.
  SLIPWAY_TRUST_PROXY: z
    .string()
    .refine(validTrustProxy, 'must be true, false, a hop count, or comma-separated proxy addresses/CIDRs (loopback, linklocal, uniquelocal allowed)')
    .optional(),
  // Dokploy confirmation, health check and watchdog (docs/dokploy.md).
  DOKPLOY_REQUEST_TIMEOUT_SECONDS: duration.default(10),
  DOKPLOY_CONFIRM_TIMEOUT_SECONDS: duration.default(900),
  DOKPLOY_POLL_INTERVAL_SECONDS: duration.default(5),
  HEALTH_CHECK_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
  HEALTH_CHECK_INTERVAL_SECONDS: duration.default(5),
  HEALTH_CHECK_TIMEOUT_SECONDS: duration.default(5),
  DEPLOYMENT_STALE_AFTER_SECONDS: duration.default(1800),
  WATCHDOG_INTERVAL_SECONDS: duration.default(60),
  GITHUB_TOKEN: z.string().min(1).optional(),
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  // Local runner and demo applications (docs/runner.md).
  SLIPWAY_DEMO: flag.default(true),
  SLIPWAY_RUNNER: flag.default(true),
  // Isolation of repository code: pipeline steps, services, repository template packs (docs/security.md).
  SLIPWAY_RUNNER_ISOLATION: z.enum(['bwrap', 'none']).default('bwrap'),
  SLIPWAY_SANDBOX_UID: z.coerce.number().int().min(1).max(4294967294).default(65534),
  SLIPWAY_SANDBOX_MEMORY_MB: z.coerce.number().int().min(64).default(2048),
  SLIPWAY_SANDBOX_CPU_SECONDS: z.coerce.number().int().min(1).default(1200),
  SLIPWAY_SANDBOX_MAX_PROCESSES: z.coerce.number().int().min(16).default(1024),
  SLIPWAY_SANDBOX_FILE_SIZE_MB: z.coerce.number().int().min(1).default(1024),
  SLIPWAY_SANDBOX_TMP_MB: z.coerce.number().int().min(1).default(512),
  // Module branches are `<prefix><slug>` (modules/branch-rules.ts, git/push-policy.ts).
  SLIPWAY_MODULE_BRANCH_PREFIX: z
    .string()
    .refine(isValidModuleBranchPrefix, "must end with '/' or '-' and make a valid branch name with a slug, e.g. module/")
    .default(DEFAULT_MODULE_BRANCH_PREFIX),
  // How long creating/updating a module waits for its publish before answering; 0: answer once stored.
  SLIPWAY_PUBLISH_WAIT_MS: z.coerce.number().int().min(0).max(600_000).default(0),
  /** A module's preview is torn down this long after its last successful deploy (docs/previews.md). */
  SLIPWAY_PREVIEW_TTL_HOURS: z.coerce.number().positive().max(87_600).default(72),
  // How long a SIGTERM/SIGINT shutdown may take before the process exits with 1 (docs/operations.md).
  SLIPWAY_SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  // Prometheus metrics (docs/metrics.md): on by default; on a port of their own, and behind a token, when set.
  SLIPWAY_METRICS: flag.default(true),
  SLIPWAY_METRICS_PORT: port.optional(),
  SLIPWAY_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').regex(/^\S+$/, 'must not contain spaces').optional(),
});

export type Env = z.infer<typeof envSchema>;
