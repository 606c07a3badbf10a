import type { Command } from 'commander';
import { loadConfig } from '../config/config.ts';
import { openDatabase } from '../db/database.ts';
import { AuthError, AuthService } from '../auth/auth.service.ts';
import { AuthStore } from '../auth/auth.store.ts';

async function withAuth<T>(fn: (auth: AuthService) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const database = openDatabase(config);
  try {
    await database.migrate();
    return await fn(new AuthService(database.db, new AuthStore(), config.session.ttlHours));
  } catch (err) {
    if (err instanceof AuthError) Object.assign(err, { expected: true });
    throw err;
  } finally {
    await database.close();
  }
}

export function registerAccountCommands(program: Command): void {
  const user = program.command('user').description('manage users');
  user
    .command('add')
    .description('create a user')
    .requiredOption('--email <email>', 'sign-in email')
    .requiredOption('--password <password>', 'at least 8 characters')
    .option('--admin', 'give the admin role (sees every deployment)', false)
    .action(async (o: { email: string; password: string; admin: boolean }) => {
      const u = await withAuth((auth) => auth.addUser(o.email, o.password, o.admin ? 'admin' : 'member'));
      process.stdout.write(`created ${u.role} ${u.email} (id ${u.id})\n`);
    });
  user
    .command('password')
    .description("set a user's password (signs them out everywhere)")
    .requiredOption('--email <email>', 'sign-in email')
    .requiredOption('--password <password>', 'at least 8 characters')
    .action(async (o: { email: string; password: string }) => {
      await withAuth((auth) => auth.setPassword(o.email, o.password));
      process.stdout.write(`password changed for ${o.email}\n`);
    });

  program
    .command('token')
    .description('personal access tokens')
    .command('create')
    .description('create a token for a user; prints only the token')
    .requiredOption('--email <email>', 'the user it acts as')
    .option('--name <name>', 'what it is for', 'cli')
    .action(async (o: { email: string; name: string }) => {
      const token = await withAuth((auth) => auth.createToken(o.email, o.name));
      process.stdout.write(`${token}\n`);
    });
}
