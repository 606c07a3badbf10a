import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

/** Never written to the log, whoever logs a request's or a webhook's headers. */
const REDACTED = ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie'];

/**
 * Keys a terminal reader does not need on every line: the request line (request-log.ts) says it all
 * in its message, and pid, hostname and request ids only matter to a log collector.
 */
const HIDDEN_ON_TERMINAL = 'pid,hostname,reqId,http';

export interface LoggerOptions {
  /** Readable lines instead of JSON. Default: when stdout is a terminal. */
  pretty?: boolean;
  /** Where lines go. Default: stdout. */
  destination?: NodeJS.WritableStream;
}

/** The process's logger: JSON for collectors and pipes, pino-pretty's lines on a terminal. */
export function createLogger(level: string, opts: LoggerOptions = {}): Logger {
  const options = { level, redact: { paths: REDACTED, remove: true } };
  const readable = opts.pretty ?? process.stdout.isTTY === true;
  if (readable) {
    // Synchronous, in this thread: a line logged just before process.exit is not lost.
    const stream = pretty({
      sync: true,
      destination: opts.destination ?? 1,
      colorize: opts.destination ? false : undefined,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: HIDDEN_ON_TERMINAL,
    });
    return pino(options, stream);
  }
  return opts.destination ? pino(options, opts.destination) : pino(options);
}
