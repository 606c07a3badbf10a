#!/usr/bin/env node
// @ts-check
/**
 * slipway-notify: tells Slipway how a CI run is going, with the signed webhook of the spec
 * (`POST /api/webhooks/dokploy/deployment`, header `X-Webhook-Signature: sha256=<hex HMAC-SHA256>`).
 *
 * Zero dependencies and a single file on purpose: `slipway ci init` copies it into a repository
 * (`.slipway/notify.mjs`) and CI runs it with whatever Node the runner has (>= 18, for fetch).
 * The pure parts are exported so Slipway's local runner can import them; the CLI runs only when this
 * file is executed directly.
 *
 * Usage: node notify.mjs --status running|done|error [--message TEXT] [--stage build|deploy|health]
 *          [--log-file PATH] [--app ID] [--soft] ...      (see HELP below, or --help)
 */
import { createHmac } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const VERSION = '0.1.0';

/** The spec's three CI words, then Slipway's internal statuses, which the server accepts directly. */
export const STATUSES = /** @type {const} */ ([
  'running',
  'done',
  'error',
  'pending',
  'building',
  'deploying',
  'success',
  'failed',
  'cancelled',
]);
export const STAGES = /** @type {const} */ (['build', 'deploy', 'health']);

export const SIGNATURE_HEADER = 'X-Webhook-Signature';

/** Limits of the server's ciReportSchema (packages/contracts): going over them gets a 422. */
export const LIMITS = Object.freeze({
  logLines: 500,
  logLineLength: 2000,
  message: 2000,
  // Not a schema limit: keeps the body under the server's default body limit (256 KiB) even when
  // every character takes 3 bytes in UTF-8.
  logTotalChars: 60_000,
});
export const DEFAULT_LOG_LINES = 100;

/** Exit codes of the CLI. `--soft` turns every failure into OK (with a warning). */
export const EXIT = Object.freeze({ OK: 0, REJECTED: 1, USAGE: 2, UNREACHABLE: 3 });

export const DEFAULT_SEND_OPTIONS = Object.freeze({
  retries: 4,
  timeoutMs: 10_000,
  baseDelayMs: 1_000,
  maxDelayMs: 15_000,
});

/** A mistake in how the notifier was called (flags, configuration): exit code 2, never retried. */
export class UsageError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * @typedef {Record<string, string | undefined>} Env
 *
 * @typedef {object} PayloadOptions
 * @property {string} status             one of STATUSES
 * @property {string} [message]          default: a sentence built from status, stage and branch
 * @property {string} [stage]            one of STAGES
 * @property {string} [app]              applicationId; default env SLIPWAY_APP_ID
 * @property {string[]} [logs]           log lines (clamped to the schema's limits)
 * @property {string} [deploymentId]     default `gh-<GITHUB_RUN_ID>`
 * @property {string} [branch]           default GITHUB_HEAD_REF, GITHUB_REF_NAME, or GITHUB_REF minus refs/heads/
 * @property {string} [commit]           default GITHUB_SHA
 * @property {Date} [now]                default: the current time
 *
 * @typedef {object} Payload
 * @property {string} [deploymentId]
 * @property {string} [applicationId]
 * @property {string} status
 * @property {string} [branch]
 * @property {string} [commit]
 * @property {string} message
 * @property {string} [moduleName]
 * @property {boolean} isModuleBranch
 * @property {string} timestamp
 * @property {string} [stage]
 * @property {string[]} [logs]
 * @property {string} [runUrl]
 * @property {number} [runAttempt]
 */

/**
 * The spec's payload, filled from a GitHub Actions environment. Keys come in the spec's order;
 * keys with no value are left out rather than sent empty (the server's schema has them optional).
 * @param {Env} env
 * @param {PayloadOptions} opts
 * @returns {Payload}
 */
export function buildPayload(env, opts) {
  const status = opts.status;
  if (!STATUSES.includes(/** @type {any} */ (status))) {
    throw new UsageError(`--status must be one of ${STATUSES.join(', ')} (got ${JSON.stringify(status)})`);
  }
  const stage = nonEmpty(opts.stage);
  if (stage !== undefined && !STAGES.includes(/** @type {any} */ (stage))) {
    throw new UsageError(`--stage must be one of ${STAGES.join(', ')} (got ${JSON.stringify(stage)})`);
  }
  const branch = nonEmpty(opts.branch) ?? branchFromEnv(env);
  const moduleName = moduleNameFromBranch(branch);
  const commit = nonEmpty(opts.commit) ?? nonEmpty(env.GITHUB_SHA);
  const runId = nonEmpty(env.GITHUB_RUN_ID);

  /** @type {Payload} */
  const payload = {
    deploymentId: nonEmpty(opts.deploymentId) ?? (runId ? `gh-${runId}` : undefined),
    applicationId: nonEmpty(opts.app) ?? nonEmpty(env.SLIPWAY_APP_ID),
    status,
    branch,
    commit,
    message: truncate(nonEmpty(opts.message) ?? defaultMessage(status, { stage, branch, moduleName }), LIMITS.message),
    moduleName,
    isModuleBranch: moduleName !== undefined,
    // Second precision, like the spec's example (2024-01-15T10:30:00Z).
    timestamp: (opts.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    stage,
    logs: opts.logs && opts.logs.length > 0 ? clampLogs(opts.logs) : undefined,
    runUrl: runUrlFromEnv(env),
    // A "Re-run" keeps GITHUB_RUN_ID: the attempt tells the server it is news again.
    runAttempt: runAttemptFromEnv(env),
  };
  for (const key of /** @type {(keyof Payload)[]} */ (Object.keys(payload))) {
    if (payload[key] === undefined) delete payload[key];
  }
  return payload;
}

/**
 * Value of the `X-Webhook-Signature` header: `sha256=` + hex HMAC-SHA256 of the exact body bytes,
 * as the spec's `openssl dgst -sha256 -hmac "$SECRET"` computes it.
 * @param {string | Uint8Array} body
 * @param {string} secret
 */
export function sign(body, secret) {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * @typedef {object} RetryInfo
 * @property {number} attempt       the attempt that failed (1-based)
 * @property {number} delayMs       wait before the next one
 * @property {number} [status]      HTTP status, when there was an answer
 * @property {string} [error]       network error, when there was none
 *
 * @typedef {object} SendOptions
 * @property {number} [retries]     extra attempts after the first (default 4)
 * @property {number} [timeoutMs]   per attempt, covering connect, headers and body (default 10 s)
 * @property {number} [baseDelayMs] first backoff delay, doubled each time (default 1 s)
 * @property {number} [maxDelayMs]  cap on one delay, Retry-After included (default 15 s)
 * @property {typeof fetch} [fetch]
 * @property {(ms: number) => Promise<void>} [sleep]
 * @property {() => number} [random] jitter source in [0, 1) (default Math.random)
 * @property {(info: RetryInfo) => void} [onRetry]
 *
 * @typedef {object} SendResult
 * @property {boolean} ok           true on a 2xx answer
 * @property {number} attempts
 * @property {number} [status]      last HTTP status, absent when the server was never reached
 * @property {string} [responseText] start of the last answer's body
 * @property {string} [error]       why it failed, for people
 * @property {boolean} retryable    whether the last failure was of the retried kind (network, 429, 5xx)
 */

/**
 * POSTs a signed body, retrying network errors, 429 and 5xx with bounded exponential backoff (full
 * jitter, Retry-After honoured up to maxDelayMs). Other answers are final: a 4xx will not get better
 * by resending the same bytes. The body is signed once and resent byte for byte, so a server that
 * did commit an attempt whose answer was lost sees a duplicate, which it acknowledges harmlessly.
 * Never throws for HTTP or network failures; throws UsageError for an unusable URL.
 * @param {string} url
 * @param {string | object} body   a string is sent as is; anything else as JSON
 * @param {string} secret
 * @param {SendOptions} [options]
 * @returns {Promise<SendResult>}
 */
export async function send(url, body, secret, options = {}) {
  const target = parseHttpUrl(url);
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const o = { ...DEFAULT_SEND_OPTIONS, ...stripUndefined(options) };
  const fetchImpl = o.fetch ?? globalThis.fetch;
  const sleep = o.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  const random = o.random ?? Math.random;
  const retries = Math.max(0, Math.floor(o.retries));
  const headers = {
    'Content-Type': 'application/json',
    Accept: 'application/json',
    'User-Agent': `slipway-notify/${VERSION}`,
    [SIGNATURE_HEADER]: sign(raw, secret),
  };

  /** @type {SendResult} */
  let result = { ok: false, attempts: 0, retryable: true };
  for (let attempt = 1; ; attempt++) {
    let retryAfterMs;
    try {
      // One timeout for the whole exchange: fetch honours the signal while the body is read too.
      const signal = AbortSignal.timeout(o.timeoutMs);
      const res = await fetchImpl(target.href, { method: 'POST', headers, body: raw, redirect: 'manual', signal });
      const text = await res.text();
      const ok = res.status >= 200 && res.status < 300;
      const retryable = res.status === 429 || (res.status >= 500 && res.status <= 599);
      result = {
        ok,
        attempts: attempt,
        status: res.status,
        responseText: truncate(text, 500),
        retryable,
        error: ok ? undefined : httpFailure(res, text),
      };
      if (ok || !retryable) return stripUndefined(result);
      retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
    } catch (err) {
      result = { ok: false, attempts: attempt, retryable: true, error: networkFailure(err, o.timeoutMs) };
    }
    if (attempt > retries) return stripUndefined(result);
    const backoff = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
    const delayMs = Math.round(Math.min(o.maxDelayMs, Math.max(retryAfterMs ?? 0, backoff * random())));
    o.onRetry?.(stripUndefined({ attempt, delayMs, status: result.status, error: result.error }));
    await sleep(delayMs);
  }
}

/**
 * The last lines of a log file, cleaned for display (ANSI colours removed, carriage-return progress
 * redraws collapsed to their final state) and clamped to the schema's limits. Reads only the file's
 * tail, so a huge build log costs nothing.
 * @param {string} path
 * @param {number} [maxLines]
 * @returns {Promise<string[]>}
 */
export async function readLogTail(path, maxLines = DEFAULT_LOG_LINES) {
  const lines = Math.max(1, Math.min(LIMITS.logLines, Math.floor(maxLines)));
  const window = lines * (LIMITS.logLineLength + 1) * 2;
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const start = Math.max(0, size - window);
    const buffer = Buffer.alloc(size - start);
    await file.read(buffer, 0, buffer.length, start);
    let all = splitLogLines(buffer.toString('utf8'));
    // Reading from the middle of the file cuts its first line: drop that fragment.
    if (start > 0) all = all.slice(1);
    return clampLogs(all.slice(-lines));
  } finally {
    await file.close();
  }
}

/**
 * @param {string} text
 * @returns {string[]}
 */
export function splitLogLines(text) {
  const lines = text
    // eslint-disable-next-line no-control-regex
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .split(/\r?\n/)
    .map((line) => line.slice(line.lastIndexOf('\r') + 1));
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * At most LIMITS.logLines lines of at most LIMITS.logLineLength characters, and at most
 * LIMITS.logTotalChars in all, keeping the newest lines (the end of a log says why it failed).
 * @param {readonly string[]} lines
 * @returns {string[]}
 */
export function clampLogs(lines) {
  const out = [];
  let total = 0;
  for (let i = lines.length - 1; i >= 0 && out.length < LIMITS.logLines; i--) {
    const line = truncate(String(lines[i]), LIMITS.logLineLength);
    if (total + line.length > LIMITS.logTotalChars) break;
    total += line.length;
    out.push(line);
  }
  return out.reverse();
}

/**
 * `module/<name>` → `<name>`; any other branch → undefined.
 * @param {string | undefined} branch
 */
export function moduleNameFromBranch(branch) {
  const m = branch?.match(/^module\/(.+)$/);
  return m?.[1];
}

/**
 * The branch of this run: the PR's head branch on pull_request events (GITHUB_REF_NAME is then
 * `<n>/merge`), else the pushed branch.
 * @param {Env} env
 */
export function branchFromEnv(env) {
  return (
    nonEmpty(env.GITHUB_HEAD_REF) ??
    nonEmpty(env.GITHUB_REF_NAME) ??
    nonEmpty(env.GITHUB_REF?.replace(/^refs\/heads\//, ''))
  );
}

/** @param {Env} env */
function runAttemptFromEnv(env) {
  const n = Number(nonEmpty(env.GITHUB_RUN_ATTEMPT));
  return Number.isInteger(n) && n >= 1 && n <= 1_000_000 ? n : undefined;
}

/** @param {Env} env */
function runUrlFromEnv(env) {
  const repo = nonEmpty(env.GITHUB_REPOSITORY);
  const runId = nonEmpty(env.GITHUB_RUN_ID);
  if (!repo || !runId) return undefined;
  const server = (nonEmpty(env.GITHUB_SERVER_URL) ?? 'https://github.com').replace(/\/+$/, '');
  return `${server}/${repo}/actions/runs/${runId}`;
}

/**
 * @param {string} status
 * @param {{ stage?: string, branch?: string, moduleName?: string }} ctx
 */
export function defaultMessage(status, { stage, branch, moduleName }) {
  const subject = moduleName ? `module '${moduleName}'` : branch ? `'${branch}'` : 'the deployment';
  const Subject = moduleName ? `Module '${moduleName}'` : branch ? `Branch '${branch}'` : undefined;
  switch (status) {
    case 'running':
    case 'building':
    case 'deploying':
      if (stage === 'deploy' || status === 'deploying') return `Deploying ${subject}…`;
      if (stage === 'health') return `Checking that ${subject} is up…`;
      return `Building ${subject}…`;
    case 'done':
    case 'success':
      // The spec's wording, which the web app shows as is.
      return Subject ? `${Subject} deployed successfully! 🎉` : 'Deployed successfully! 🎉';
    case 'error':
    case 'failed':
      return `Deployment of ${subject} failed${stage ? ` at the ${stage} stage` : ''}.`;
    case 'cancelled':
      return `Deployment of ${subject} was cancelled.`;
    default:
      return `Deployment of ${subject} is ${status}.`;
  }
}

// ---------------------------------------------------------------------------------------------
// CLI

const HELP = `slipway-notify ${VERSION}: send a signed deployment status to Slipway.

Usage: node notify.mjs --status <status> [options]

  --status <s>        running | done | error (the spec's words), or one of Slipway's own statuses:
                      pending, building, deploying, success, failed, cancelled
  --message <text>    default: built from status, stage and branch; done on module/<slug> says
                      "Module '<slug>' deployed successfully! 🎉"
  --stage <s>         build | deploy | health (running + deploy is shown as "deploying")
  --log-file <path>   send the file's last lines as "logs" (a missing file is a warning)
  --log-lines <n>     how many lines (default ${DEFAULT_LOG_LINES}, max ${LIMITS.logLines})
  --app <id>          applicationId (default env SLIPWAY_APP_ID)
  --url <url>         webhook URL (default env BACKEND_DEPLOYMENT_WEBHOOK_URL)
  --secret <secret>   signing secret (default env DOKPLOY_WEBHOOK_SECRET; prefer the env variable,
                      argv is visible to other processes)
  --retries <n>       extra attempts on network errors, 429 and 5xx (default ${DEFAULT_SEND_OPTIONS.retries})
  --timeout <sec>     per attempt (default ${DEFAULT_SEND_OPTIONS.timeoutMs / 1000})
  --retry-delay <ms>  first backoff delay, doubled each retry, capped at ${DEFAULT_SEND_OPTIONS.maxDelayMs / 1000} s (default ${DEFAULT_SEND_OPTIONS.baseDelayMs})
  --soft              never fail: report problems as warnings and exit 0
  --dry-run           print the payload and its signature, send nothing
  -h, --help          this text
  --version

From GitHub Actions: GITHUB_RUN_ID (deploymentId gh-<id>), GITHUB_REF_NAME / GITHUB_HEAD_REF (branch),
GITHUB_SHA (commit), GITHUB_REPOSITORY + GITHUB_SERVER_URL (runUrl), GITHUB_RUN_ATTEMPT (runAttempt).

Exit codes: 0 delivered (or --soft, --dry-run, --help); 1 refused by the server (4xx, redirect);
2 usage or configuration error; 3 server unreachable or still failing after the retries.`;

/**
 * @typedef {object} CliIo
 * @property {{ write(s: string): unknown }} stdout
 * @property {{ write(s: string): unknown }} stderr
 *
 * @typedef {object} CliDeps
 * @property {typeof fetch} [fetch]
 * @property {(ms: number) => Promise<void>} [sleep]
 * @property {() => Date} [now]
 */

/**
 * The CLI as a function: parses argv, sends, returns the exit code. Never throws.
 * @param {string[]} [argv]
 * @param {Env} [env]
 * @param {CliIo} [io]
 * @param {CliDeps} [deps]
 * @returns {Promise<number>}
 */
export async function main(argv = process.argv.slice(2), env = process.env, io = process, deps = {}) {
  const soft = argv.includes('--soft');
  const annotate = env.GITHUB_ACTIONS === 'true';
  const info = (/** @type {string} */ line) => io.stdout.write(`slipway-notify: ${line}\n`);
  const note = (/** @type {string} */ line) => io.stderr.write(`slipway-notify: ${line}\n`);
  /** Reports a failure; with --soft it is a warning and the job goes on. */
  const fail = (/** @type {number} */ code, /** @type {string} */ message) => {
    const level = soft ? 'warning' : 'error';
    io.stderr.write(
      annotate
        ? `::${level} title=slipway-notify::${escapeAnnotation(message)}\n`
        : `slipway-notify: ${level}: ${message}\n`,
    );
    if (soft) note('--soft: not failing the job');
    return soft ? EXIT.OK : code;
  };

  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        status: { type: 'string' },
        message: { type: 'string' },
        stage: { type: 'string' },
        'log-file': { type: 'string' },
        'log-lines': { type: 'string' },
        app: { type: 'string' },
        url: { type: 'string' },
        secret: { type: 'string' },
        retries: { type: 'string' },
        timeout: { type: 'string' },
        'retry-delay': { type: 'string' },
        soft: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean' },
      },
    });
    if (values.help) {
      io.stdout.write(`${HELP}\n`);
      return EXIT.OK;
    }
    if (values.version) {
      io.stdout.write(`${VERSION}\n`);
      return EXIT.OK;
    }
    if (values.status === undefined) throw new UsageError('--status is required (running, done or error)');

    const retries = intFlag('--retries', values.retries, 0, 10);
    const timeoutSec = numFlag('--timeout', values.timeout, 0.001, 300);
    const baseDelayMs = intFlag('--retry-delay', values['retry-delay'], 0, 60_000);
    const logLines = intFlag('--log-lines', values['log-lines'], 1, LIMITS.logLines) ?? DEFAULT_LOG_LINES;

    /** @type {string[] | undefined} */
    let logs;
    const logFile = nonEmpty(values['log-file']);
    if (logFile) {
      try {
        logs = await readLogTail(logFile, logLines);
      } catch (err) {
        // A failed build may not have written its log: the status matters more than the lines.
        note(`warning: cannot read --log-file ${logFile} (${errorMessage(err)}); sending without logs`);
      }
    }

    const payload = buildPayload(env, {
      status: values.status,
      message: values.message,
      stage: values.stage,
      app: values.app,
      logs,
      now: deps.now?.(),
    });
    const body = JSON.stringify(payload);
    const url = nonEmpty(values.url) ?? nonEmpty(env.BACKEND_DEPLOYMENT_WEBHOOK_URL);
    const secret = nonEmpty(values.secret) ?? nonEmpty(env.DOKPLOY_WEBHOOK_SECRET);

    if (values['dry-run']) {
      io.stdout.write(`${body}\n`);
      io.stdout.write(secret ? `${SIGNATURE_HEADER}: ${sign(body, secret)}\n` : `(unsigned: no secret)\n`);
      return EXIT.OK;
    }
    if (!url) throw new UsageError('no webhook URL: set BACKEND_DEPLOYMENT_WEBHOOK_URL (or pass --url)');
    if (!secret) throw new UsageError('no secret: set DOKPLOY_WEBHOOK_SECRET (or pass --secret)');
    const where = redactUrl(url);

    const result = await send(url, body, secret, {
      retries,
      timeoutMs: timeoutSec === undefined ? undefined : timeoutSec * 1000,
      baseDelayMs,
      fetch: deps.fetch,
      sleep: deps.sleep,
      onRetry: ({ attempt, delayMs, status, error }) =>
        note(`attempt ${attempt} failed (${status ? `HTTP ${status}` : error}); retrying in ${(delayMs / 1000).toFixed(1)} s`),
    });
    const attempts = `${result.attempts} attempt${result.attempts === 1 ? '' : 's'}`;
    if (result.ok) {
      info(`${payload.status} sent to ${where} (HTTP ${result.status}, ${attempts})`);
      return EXIT.OK;
    }
    if (result.status !== undefined && !result.retryable) {
      return fail(EXIT.REJECTED, `${where} refused the ${payload.status} notification: ${result.error}`);
    }
    return fail(EXIT.UNREACHABLE, `could not deliver the ${payload.status} notification to ${where} after ${attempts}: ${result.error}`);
  } catch (err) {
    return fail(EXIT.USAGE, `${errorMessage(err)}${err instanceof UsageError || isParseArgsError(err) ? ' (see --help)' : ''}`);
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

/** @param {string | undefined | null} value */
function nonEmpty(value) {
  return value === undefined || value === null || value.trim() === '' ? undefined : value;
}

/**
 * Cuts to at most `max` UTF-16 units (what the schema counts) without splitting a surrogate pair.
 * @param {string} text
 * @param {number} max
 */
function truncate(text, max) {
  if (text.length <= max) return text;
  let end = max - 1;
  const code = text.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * @template {object} T
 * @param {T} obj
 * @returns {T}
 */
function stripUndefined(obj) {
  return /** @type {T} */ (Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)));
}

/** @param {string} url */
function parseHttpUrl(url) {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`webhook URL is not a URL: ${JSON.stringify(redactUrl(url))}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UsageError(`webhook URL must be http or https (got ${parsed.protocol})`);
  }
  return parsed;
}

/** Origin and path only: the query or user info of a URL may carry a token. @param {string} url */
export function redactUrl(url) {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '<invalid URL>';
  }
}

/**
 * @param {Response} res
 * @param {string} text
 */
function httpFailure(res, text) {
  let detail = '';
  try {
    const json = JSON.parse(text);
    detail = typeof json?.error === 'string' ? json.error : typeof json?.message === 'string' ? json.message : '';
  } catch {
    detail = text.trim();
  }
  const hints = {
    401: 'check that DOKPLOY_WEBHOOK_SECRET here equals the server\'s',
    404: 'check BACKEND_DEPLOYMENT_WEBHOOK_URL (…/api/webhooks/dokploy/deployment)',
    413: 'the payload is too large',
    422: 'the server did not accept a field',
  };
  const location = res.headers.get('location');
  const parts = [`HTTP ${res.status}`];
  if (detail) parts.push(truncate(detail, 300));
  if (res.status >= 300 && res.status < 400) parts.push(`redirected${location ? ` to ${redactUrl(location)}` : ''}: use the final URL`);
  const hint = hints[/** @type {keyof typeof hints} */ (res.status)];
  if (hint) parts.push(hint);
  return parts.join(': ');
}

/**
 * @param {unknown} err
 * @param {number} timeoutMs
 */
function networkFailure(err, timeoutMs) {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
  return cause ? `${errorMessage(err)} (${errorMessage(cause)})` : errorMessage(err);
}

/** @param {string | null} value seconds or an HTTP date */
function parseRetryAfter(value) {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/**
 * @param {string} name
 * @param {string | undefined} value
 * @param {number} min
 * @param {number} max
 */
function numFlag(name, value, min, max) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`${name} must be a number from ${min} to ${max} (got ${JSON.stringify(value)})`);
  }
  return n;
}

/**
 * @param {string} name
 * @param {string | undefined} value
 * @param {number} min
 * @param {number} max
 */
function intFlag(name, value, min, max) {
  const n = numFlag(name, value, min, max);
  if (n !== undefined && !Number.isInteger(n)) throw new UsageError(`${name} must be a whole number (got ${value})`);
  return n;
}

/** @param {unknown} err */
function errorMessage(err) {
  return err instanceof Error ? err.message : String(err);
}

/** @param {unknown} err */
function isParseArgsError(err) {
  return err instanceof Error && typeof (/** @type {any} */ (err).code) === 'string' && /^ERR_PARSE_ARGS/.test(/** @type {any} */ (err).code);
}

/** GitHub workflow commands end at a newline and treat % specially. @param {string} text */
function escapeAnnotation(text) {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function isEntryPoint() {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    // realpath: npm's bin link (slipway-notify) points here through a symlink.
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().then((code) => {
    process.exitCode = code;
  });
}
