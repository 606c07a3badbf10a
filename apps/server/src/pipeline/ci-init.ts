import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { newWebhookSecret } from '../config/secrets.ts';
import {
  ciSecrets,
  CiWorkflowError,
  NOTIFY_SCRIPT_PATH,
  renderCiWorkflow,
  WORKFLOW_PATH,
  type CiSecret,
  type CiWorkflowOptions,
} from './ci-workflow.ts';

/** The notifier that `ci init` copies into repositories: the one of this checkout (no build step). */
export const NOTIFY_SOURCE = fileURLToPath(new URL('../../../../packages/notify/notify.mjs', import.meta.url));

export interface CiInitOptions extends CiWorkflowOptions {
  /** The repository to write into. */
  dir: string;
  /** Replace a workflow that exists and differs from the one Slipway would write. */
  force?: boolean;
  /** Slipway's public URL, to show the webhook URL to set; a placeholder when absent. */
  serverUrl?: string;
}

export type FileAction = 'created' | 'updated' | 'unchanged';

export interface CiInitResult {
  files: { path: string; action: FileAction }[];
  secrets: CiSecret[];
  /** Things worth a look that did not stop anything (no .git, no Dockerfile, a second CI workflow). */
  warnings: string[];
}

/** A refusal the user can fix (bad option, missing folder, a workflow that would be overwritten). */
export class CiInitError extends Error {
  override name = 'CiInitError';
  /** The CLI entry prints expected errors as one line, without a stack. */
  readonly expected = true;
}

/**
 * Writes the CI workflow and the notifier into a repository. Checks everything before writing
 * anything, so a refusal leaves the repository untouched; each file is written to a temporary name
 * and renamed, so an interrupted run never leaves half a workflow.
 */
export async function ciInit(opts: CiInitOptions): Promise<CiInitResult> {
  const dir = resolve(opts.dir);
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new CiInitError(`${dir} is not a directory`);

  let workflow: string;
  try {
    workflow = renderCiWorkflow(opts);
  } catch (err) {
    if (err instanceof CiWorkflowError) throw new CiInitError(err.message);
    throw err;
  }
  const notify = await readFile(NOTIFY_SOURCE, 'utf8');

  const workflowAction = await plan(join(dir, WORKFLOW_PATH), workflow);
  if (workflowAction === 'updated' && !opts.force) {
    throw new CiInitError(
      `${WORKFLOW_PATH} already exists in ${dir} and differs from the workflow Slipway writes; ` +
        'keep it, or re-run with --force to replace it',
    );
  }
  // The notifier is Slipway's file, not the user's: always brought up to date.
  const notifyAction = await plan(join(dir, NOTIFY_SCRIPT_PATH), notify);

  const warnings: string[] = [];
  if (!(await exists(join(dir, '.git')))) warnings.push(`${dir} has no .git: is it the root of the repository?`);
  const dockerfile = opts.dockerfile ?? 'Dockerfile';
  if (!(await exists(join(dir, dockerfile)))) warnings.push(`no ${dockerfile} in ${dir}: the build step needs one`);
  const twin = WORKFLOW_PATH.replace(/\.yaml$/, '.yml');
  if (await exists(join(dir, twin))) warnings.push(`${twin} exists too: both workflows will run on every push`);

  if (workflowAction !== 'unchanged') await writeAtomically(join(dir, WORKFLOW_PATH), workflow);
  if (notifyAction !== 'unchanged') await writeAtomically(join(dir, NOTIFY_SCRIPT_PATH), notify);

  return {
    files: [
      { path: WORKFLOW_PATH, action: workflowAction },
      { path: NOTIFY_SCRIPT_PATH, action: notifyAction },
    ],
    secrets: ciSecrets(opts.appId, { serverUrl: opts.serverUrl, mainBranch: opts.mainBranch }),
    warnings,
  };
}

/** A new webhook secret, as the spec's `openssl rand -hex 32`: 32 random bytes, 64 hex characters. */
export function generateWebhookSecret(): string {
  return newWebhookSecret('hex');
}

/** The secrets as the spec prints them: a Markdown table (Secret | Value | Required), padded. */
export function formatSecretsTable(secrets: readonly CiSecret[]): string {
  const rows = [
    ['Secret', 'Value', 'Required'],
    ...secrets.map((s) => [`\`${s.name}\``, s.value, s.required ? 'yes' : 'optional']),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n');
}

async function plan(path: string, content: string): Promise<FileAction> {
  const current = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (current === undefined) return 'created';
  return current === content ? 'unchanged' : 'updated';
}

async function writeAtomically(path: string, content: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
