import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/** A mistake in how the command was called: printed as a message, exit code 1 (cli/index.ts). */
class InputError extends Error {
  readonly expected = true;
}

export interface PasswordOptions {
  password?: string;
  passwordStdin?: boolean;
}

interface Io {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
}

/**
 * The new password, from the first line of stdin (`--password-stdin`), or a hidden prompt when stdin
 * is a terminal. `--password` still works but says why not to: argv is readable by every user of the
 * host (`ps`, /proc/<pid>/cmdline) and lands in shell history.
 */
export async function readNewPassword(o: PasswordOptions, io: Io = { stdin: process.stdin, stderr: process.stderr }): Promise<string> {
  if (o.password !== undefined && o.passwordStdin) throw new InputError('give either --password or --password-stdin, not both');
  if (o.password !== undefined) {
    io.stderr.write('slipway: warning: --password is visible in the process list and shell history; prefer --password-stdin or the prompt\n');
    return o.password;
  }
  if (o.passwordStdin) {
    const line = await firstLine(io.stdin);
    if (!line) throw new InputError('--password-stdin: no password on stdin');
    return line;
  }
  if (!io.stdin.isTTY) throw new InputError('no password given: pipe it with --password-stdin, or run in a terminal to be prompted');
  const [first, again] = await promptHidden(['New password: ', 'Repeat it: '], io);
  if (first !== again) throw new InputError('the two passwords differ');
  return first!;
}

/** One line of stdin, without its line ending; '' at end of input. */
function firstLine(stdin: Io['stdin']): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: stdin, crlfDelay: Infinity, terminal: false });
    let got: string | undefined;
    rl.once('line', (l) => {
      got = l;
      rl.close();
    });
    rl.once('close', () => resolve(got ?? ''));
    stdin.once('error', reject);
  });
}

/**
 * Reads lines from a terminal without echoing them: readline (in raw mode) writes its echo into a
 * muted stream. One interface for every prompt, so the terminal never falls back to echoing between two.
 */
function promptHidden(prompts: string[], io: Io): Promise<string[]> {
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: io.stdin, output: muted, terminal: true });
  const answers: string[] = [];
  io.stderr.write(prompts[0]!);
  return new Promise((resolve, reject) => {
    rl.on('line', (l) => {
      answers.push(l);
      io.stderr.write('\n');
      if (answers.length < prompts.length) io.stderr.write(prompts[answers.length]!);
      else rl.close();
    });
    // Ctrl-C or end of input before the last Enter.
    rl.once('SIGINT', () => rl.close());
    rl.once('close', () => {
      if (answers.length < prompts.length) {
        io.stderr.write('\n');
        reject(new InputError('no password entered'));
      } else resolve(answers);
    });
  });
}
