import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

export const BIN = resolve(import.meta.dirname, '../../bin/slipway.mjs');

export interface CliAnswer {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `slipway` as a user would, on one data folder; `stdin` is written and closed. */
export function cliRunner(dataDir: string) {
  return async (args: string[], env: Record<string, string> = {}, stdin = ''): Promise<CliAnswer> => {
    try {
      const run = promisify(execFile)(process.execPath, [BIN, ...args], { env: { ...process.env, SLIPWAY_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env }, encoding: 'utf8' });
      run.child.stdin?.end(stdin);
      const r = await run;
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };
}
