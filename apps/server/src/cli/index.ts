import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config/config.ts';
import { registerAccountCommands } from './account.command.ts';
import { registerCiCommands } from './ci.command.ts';
import { registerServerCommands } from './server.command.ts';

export function buildProgram(): Command {
  const program = new Command('slipway')
    .description('Create a code module in a web page and watch it go live.')
    .showHelpAfterError()
    .exitOverride();
  registerServerCommands(program);
  registerAccountCommands(program);
  registerCiCommands(program);
  return program;
}

/** Entry point: config problems and expected failures end with a message and exit code 1, not a stack. */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    if (err instanceof ConfigError || (err as { expected?: boolean }).expected) {
      process.stderr.write(`slipway: ${(err as Error).message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

export { loadConfig };
