#!/usr/bin/env node
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
export function buildPayload(env: Env, opts: PayloadOptions): Payload;
/**
 * Value of the `X-Webhook-Signature` header: `sha256=` + hex HMAC-SHA256 of the exact body bytes,
 * as the spec's `openssl dgst -sha256 -hmac "$SECRET"` computes it.
 * @param {string | Uint8Array} body
 * @param {string} secret
 */
export function sign(body: string | Uint8Array, secret: string): string;
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
export function send(url: string, body: string | object, secret: string, options?: SendOptions): Promise<SendResult>;
/**
 * The last lines of a log file, cleaned for display (ANSI colours removed, carriage-return progress
 * redraws collapsed to their final state) and clamped to the schema's limits. Reads only the file's
 * tail, so a huge build log costs nothing.
 * @param {string} path
 * @param {number} [maxLines]
 * @returns {Promise<string[]>}
 */
export function readLogTail(path: string, maxLines?: number): Promise<string[]>;
/**
 * @param {string} text
 * @returns {string[]}
 */
export function splitLogLines(text: string): string[];
/**
 * At most LIMITS.logLines lines of at most LIMITS.logLineLength characters, and at most
 * LIMITS.logTotalChars in all, keeping the newest lines (the end of a log says why it failed).
 * @param {readonly string[]} lines
 * @returns {string[]}
 */
export function clampLogs(lines: readonly string[]): string[];
/**
 * `module/<name>` → `<name>`; any other branch → undefined.
 * @param {string | undefined} branch
 */
export function moduleNameFromBranch(branch: string | undefined): string | undefined;
/**
 * The branch of this run: the PR's head branch on pull_request events (GITHUB_REF_NAME is then
 * `<n>/merge`), else the pushed branch.
 * @param {Env} env
 */
export function branchFromEnv(env: Env): string | undefined;
/**
 * @param {string} status
 * @param {{ stage?: string, branch?: string, moduleName?: string }} ctx
 */
export function defaultMessage(status: string, { stage, branch, moduleName }: {
    stage?: string;
    branch?: string;
    moduleName?: string;
}): string;
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
export function main(argv?: string[], env?: Env, io?: CliIo, deps?: CliDeps): Promise<number>;
/** Origin and path only: the query or user info of a URL may carry a token. @param {string} url */
export function redactUrl(url: string): string;
export const VERSION: "0.1.0";
/** The spec's three CI words, then Slipway's internal statuses, which the server accepts directly. */
export const STATUSES: readonly ["running", "done", "error", "pending", "building", "deploying", "success", "failed", "cancelled"];
export const STAGES: readonly ["build", "deploy", "health"];
export const SIGNATURE_HEADER: "X-Webhook-Signature";
/** Limits of the server's ciReportSchema (packages/contracts): going over them gets a 422. */
export const LIMITS: Readonly<{
    logLines: 500;
    logLineLength: 2000;
    message: 2000;
    logTotalChars: 60000;
}>;
export const DEFAULT_LOG_LINES: 100;
/** Exit codes of the CLI. `--soft` turns every failure into OK (with a warning). */
export const EXIT: Readonly<{
    OK: 0;
    REJECTED: 1;
    USAGE: 2;
    UNREACHABLE: 3;
}>;
export const DEFAULT_SEND_OPTIONS: Readonly<{
    retries: 4;
    timeoutMs: 10000;
    baseDelayMs: 1000;
    maxDelayMs: 15000;
}>;
/** A mistake in how the notifier was called (flags, configuration): exit code 2, never retried. */
export class UsageError extends Error {
    /** @param {string} message */
    constructor(message: string);
}
export type Env = Record<string, string | undefined>;
export type PayloadOptions = {
    /**
     * one of STATUSES
     */
    status: string;
    /**
     * default: a sentence built from status, stage and branch
     */
    message?: string | undefined;
    /**
     * one of STAGES
     */
    stage?: string | undefined;
    /**
     * applicationId; default env SLIPWAY_APP_ID
     */
    app?: string | undefined;
    /**
     * log lines (clamped to the schema's limits)
     */
    logs?: string[] | undefined;
    /**
     * default `gh-<GITHUB_RUN_ID>`
     */
    deploymentId?: string | undefined;
    /**
     * default GITHUB_HEAD_REF, GITHUB_REF_NAME, or GITHUB_REF minus refs/heads/
     */
    branch?: string | undefined;
    /**
     * default GITHUB_SHA
     */
    commit?: string | undefined;
    /**
     * default: the current time
     */
    now?: Date | undefined;
};
export type Payload = {
    deploymentId?: string | undefined;
    applicationId?: string | undefined;
    status: string;
    branch?: string | undefined;
    commit?: string | undefined;
    message: string;
    moduleName?: string | undefined;
    isModuleBranch: boolean;
    timestamp: string;
    stage?: string | undefined;
    logs?: string[] | undefined;
    runUrl?: string | undefined;
    runAttempt?: number | undefined;
};
export type RetryInfo = {
    /**
     * the attempt that failed (1-based)
     */
    attempt: number;
    /**
     * wait before the next one
     */
    delayMs: number;
    /**
     * HTTP status, when there was an answer
     */
    status?: number | undefined;
    /**
     * network error, when there was none
     */
    error?: string | undefined;
};
export type SendOptions = {
    /**
     * extra attempts after the first (default 4)
     */
    retries?: number | undefined;
    /**
     * per attempt, covering connect, headers and body (default 10 s)
     */
    timeoutMs?: number | undefined;
    /**
     * first backoff delay, doubled each time (default 1 s)
     */
    baseDelayMs?: number | undefined;
    /**
     * cap on one delay, Retry-After included (default 15 s)
     */
    maxDelayMs?: number | undefined;
    fetch?: typeof fetch | undefined;
    sleep?: ((ms: number) => Promise<void>) | undefined;
    /**
     * jitter source in [0, 1) (default Math.random)
     */
    random?: (() => number) | undefined;
    onRetry?: ((info: RetryInfo) => void) | undefined;
};
export type SendResult = {
    /**
     * true on a 2xx answer
     */
    ok: boolean;
    attempts: number;
    /**
     * last HTTP status, absent when the server was never reached
     */
    status?: number | undefined;
    /**
     * start of the last answer's body
     */
    responseText?: string | undefined;
    /**
     * why it failed, for people
     */
    error?: string | undefined;
    /**
     * whether the last failure was of the retried kind (network, 429, 5xx)
     */
    retryable: boolean;
};
export type CliIo = {
    stdout: {
        write(s: string): unknown;
    };
    stderr: {
        write(s: string): unknown;
    };
};
export type CliDeps = {
    fetch?: typeof fetch | undefined;
    sleep?: ((ms: number) => Promise<void>) | undefined;
    now?: (() => Date) | undefined;
};
