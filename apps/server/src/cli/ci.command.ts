import { Option, type Command } from 'commander';
import { newWebhookSecret, type WebhookSecretFormat } from '../config/secrets.ts';
import { ciInit, formatSecretsTable } from '../pipeline/ci-init.ts';

export interface CiCommandIo {
  out(text: string): void;
}

const stdout: CiCommandIo = { out: (text) => void process.stdout.write(text) };

/**
 * `slipway ci init` (write a repository's GitHub Actions workflow and notifier) and `slipway secret`
 * (a new webhook secret). Refusals are CiInitError, marked `expected`: the CLI entry prints them
 * as one line and exits 1.
 */
export function registerCiCommands(program: Command, io: CiCommandIo = stdout): void {
  const ci = program.command('ci').description("set up a repository's CI (GitHub Actions) to build, deploy and report to Slipway");
  ci.command('init')
    .description('write .github/workflows/ci.yaml and .slipway/notify.mjs into a repository, then list the secrets to set')
    .requiredOption('--app <id>', 'Slipway application id the repository deploys (backend, frontend, …)')
    .option('--dir <path>', 'the repository', '.')
    .option('--force', 'replace an existing workflow that differs', false)
    .option('--main-branch <name>', 'production branch, tagged latest', 'main')
    .option('--dockerfile <path>', 'Dockerfile, relative to the repository', 'Dockerfile')
    .option('--context <path>', 'Docker build context, relative to the repository', '.')
    .option('--server <url>', "Slipway's public URL, to show the webhook URL (default SLIPWAY_PUBLIC_URL)")
    .action(async (o: { app: string; dir: string; force: boolean; mainBranch: string; dockerfile: string; context: string; server?: string }) => {
      const result = await ciInit({
        appId: o.app,
        dir: o.dir,
        force: o.force,
        mainBranch: o.mainBranch,
        dockerfile: o.dockerfile,
        context: o.context,
        serverUrl: o.server ?? process.env.SLIPWAY_PUBLIC_URL,
      });
      for (const f of result.files) io.out(`${f.action.padEnd(9)} ${f.path}\n`);
      for (const w of result.warnings) io.out(`warning: ${w}\n`);
      const required = result.secrets.filter((s) => s.required).map((s) => s.name);
      io.out(
        [
          '',
          'Set these repository secrets (GitHub: Settings → Secrets and variables → Actions):',
          '',
          formatSecretsTable(result.secrets),
          '',
          `With the GitHub CLI, from the repository: gh secret set ${required[0]} (and so on for each name).`,
          'Then commit both files and push to the main branch or a module/* branch.',
          '',
        ].join('\n'),
      );
    });

  program
    .command('secret')
    .description('print a new webhook secret for DOKPLOY_WEBHOOK_SECRET')
    .addOption(
      new Option('--format <format>', 'hex: 64 hex characters (as openssl rand -hex 32); whsec: whsec_<base64>, what Standard Webhooks libraries read by default')
        .choices(['hex', 'whsec'])
        .default('hex'),
    )
    .action((o: { format: WebhookSecretFormat }) => io.out(`${newWebhookSecret(o.format)}\n`));
}
