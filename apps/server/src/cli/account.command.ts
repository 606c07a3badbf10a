import type { Command } from 'commander';
import type { ApiToken } from '@slipway/contracts';
import { loadConfig } from '../config/config.ts';
import type { AuthService } from '../auth/auth.service.ts';
import { readNewPassword, type PasswordOptions } from './password-input.ts';

async function withAuth<T>(fn: (auth: AuthService) => Promise<T>): Promise<T> {
  const config = loadConfig();
  // Loaded on use: the other commands need neither the database nor the auth service.
  const [{ openDatabase }, { AuthError, createAuthService }] = await Promise.all([import('../db/database.ts'), import('../auth/auth.service.ts')]);
  const database = openDatabase(config);
  try {
    await database.migrate();
    return await fn(createAuthService(database, config));
  } catch (err) {
    if (err instanceof AuthError) Object.assign(err, { expected: true });
    throw err;
  } finally {
    await database.close();
  }
}

const expected = (message: string) => Object.assign(new Error(message), { expected: true });

function positiveInt(name: string) {
  return (v: string) => {
    if (!/^\d{1,9}$/.test(v) || Number(v) < 1) throw expected(`${name} must be a positive whole number`);
    return Number(v);
  };
}

/** The password options of `user add` and `user password`. */
function withPasswordOptions(cmd: Command): Command {
  return cmd
    .option('--password-stdin', 'read the password from the first line of stdin', false)
    .option('--password <password>', 'the password itself (avoid: visible in the process list and shell history)');
}

/** Aligned columns, for people; `--json` is for scripts. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

function tokenRows(tokens: ApiToken[], now: number): string[][] {
  const expires = (t: ApiToken) => (t.expires_at === null ? 'never' : Date.parse(t.expires_at) <= now ? `expired ${t.expires_at}` : t.expires_at);
  return [['ID', 'NAME', 'CREATED', 'LAST USED', 'EXPIRES'], ...tokens.map((t) => [String(t.id), t.name, t.created_at, t.last_used_at ?? 'never', expires(t)])];
}

export function registerAccountCommands(program: Command): void {
  const user = program.command('user').description('manage users');
  withPasswordOptions(
    user
      .command('add')
      .description('create a user; the password comes from a hidden prompt, or stdin with --password-stdin')
      .requiredOption('--email <email>', 'sign-in email')
      .option('--admin', 'give the admin role (sees every deployment)', false),
  ).action(async (o: { email: string; admin: boolean } & PasswordOptions) => {
    const password = await readNewPassword(o);
    const u = await withAuth((auth) => auth.addUser(o.email, password, o.admin ? 'admin' : 'member'));
    process.stdout.write(`created ${u.role} ${u.email} (id ${u.id})\n`);
  });
  withPasswordOptions(
    user
      .command('password')
      .description("set a user's password; ends all their sessions and revokes all their tokens")
      .requiredOption('--email <email>', 'sign-in email'),
  ).action(async (o: { email: string } & PasswordOptions) => {
    const password = await readNewPassword(o);
    await withAuth((auth) => auth.setPassword(o.email, password));
    process.stdout.write(`password changed for ${o.email}; their sessions ended and their tokens were revoked\n`);
  });

  const token = program.command('token').description('personal access tokens');
  token
    .command('create')
    .description('create a token for a user; prints only the token')
    .requiredOption('--email <email>', 'the user it acts as')
    .option('--name <name>', 'what it is for', 'cli')
    .option('--expires-days <days>', 'expires after this many days (default: never)', positiveInt('--expires-days'))
    .action(async (o: { email: string; name: string; expiresDays?: number }) => {
      const t = await withAuth((auth) => auth.createToken(o.email, o.name, o.expiresDays));
      process.stdout.write(`${t}\n`);
    });
  token
    .command('list')
    .description("a user's tokens: id, name, created, last used, expiry (never the token)")
    .requiredOption('--email <email>', 'whose tokens')
    .option('--json', 'as JSON', false)
    .action(async (o: { email: string; json: boolean }) => {
      const tokens = await withAuth(async (auth) => auth.listTokens((await auth.userByEmail(o.email)).id));
      process.stdout.write(o.json ? `${JSON.stringify(tokens, null, 2)}\n` : tokens.length ? table(tokenRows(tokens, Date.now())) : `${o.email} has no tokens\n`);
    });
  token
    .command('revoke')
    .description("revoke a token by id, whoever's it is (it stops working at once)")
    .requiredOption('--id <id>', 'the id `token list` shows', positiveInt('--id'))
    .action(async (o: { id: number }) => {
      const t = await withAuth((auth) => auth.revokeToken(o.id));
      if (!t) throw expected(`no token with id ${o.id}`);
      process.stdout.write(`revoked token ${t.id} (${t.name})\n`);
    });
}
