import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * `.slipway/pipeline.yaml`: what the local runner does with a pushed commit. Pure: parsing,
 * validation and `${VAR}` expansion, no I/O.
 *
 * ```yaml
 * env: { NODE_ENV: production }          # extra environment for every command
 * build:                                 # run in order in a checkout of the commit; the first failure stops
 *   - name: Syntax check
 *     run: node --check server.js
 *     timeoutSeconds: 120                # default 600
 * docker:                                # optional; skipped with a message when no Docker engine answers
 *   file: Dockerfile
 *   image: slipway/backend               # tagged like CI: latest/main, sha-<7>, module-<slug>
 * deploy:                                # optional; one or more of:
 *   dokploy: true                        #   call the application's Dokploy deploy webhook
 *   run: ./deploy.sh                     #   a one-shot command
 *   start: node server.js                #   a long-running service Slipway supervises on $PORT
 *   url: http://127.0.0.1:${PORT}/       # where the branch is live
 *   moduleUrl: http://127.0.0.1:${PORT}/api/${SLIPWAY_MODULE}   # same, for module/* branches
 * health:                                # optional; GET until it answers 2xx or the time is up
 *   url: ${DEPLOY_URL}                   # default: the deploy URL
 *   path: /health                        # appended to url
 *   timeoutSeconds: 30
 * ```
 */
export const PIPELINE_PATH = '.slipway/pipeline.yaml';

/** Variables every command sees, and that `url`, `moduleUrl` and `health.url` may use. */
export const PIPELINE_VARIABLES = [
  'PORT',
  'SLIPWAY_APP',
  'SLIPWAY_BRANCH',
  'SLIPWAY_COMMIT',
  'SLIPWAY_SHA7',
  'SLIPWAY_MODULE',
  'SLIPWAY_HOST',
  'DEPLOY_URL',
] as const;
export type PipelineVariable = (typeof PIPELINE_VARIABLES)[number];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const timeoutSeconds = z.number().positive().max(24 * 3600);

const stepSchema = z
  .object({
    name: z.string().min(1).max(200),
    run: z.string().min(1),
    timeoutSeconds: timeoutSeconds.optional(),
  })
  .strict();

const dockerSchema = z
  .object({
    file: z.string().min(1).default('Dockerfile'),
    context: z.string().min(1).default('.'),
    image: z.string().regex(/^[a-z0-9][a-z0-9._/:-]*$/, 'must be a lower-case image name').optional(),
    timeoutSeconds: timeoutSeconds.optional(),
  })
  .strict();

const deploySchema = z
  .object({
    dokploy: z.boolean().optional(),
    run: z.string().min(1).optional(),
    start: z.string().min(1).optional(),
    url: z.string().min(1).optional(),
    moduleUrl: z.string().min(1).optional(),
    timeoutSeconds: timeoutSeconds.optional(),
  })
  .strict()
  .refine((d) => d.dokploy || d.run || d.start, { message: 'needs at least one of dokploy: true, run or start' });

const healthSchema = z
  .object({
    url: z.string().min(1).optional(),
    path: z.string().startsWith('/', 'must start with /').optional(),
    timeoutSeconds: timeoutSeconds.default(30),
  })
  .strict();

export const pipelineSchema = z
  .object({
    version: z.literal(1).optional(),
    env: z
      .record(z.string().regex(ENV_NAME, 'must be a valid environment variable name'), z.union([z.string(), z.number(), z.boolean()]).transform(String))
      .default({}),
    build: z.array(stepSchema).default([]),
    docker: dockerSchema.optional(),
    deploy: deploySchema.optional(),
    health: healthSchema.optional(),
  })
  .strict();

export type Pipeline = z.infer<typeof pipelineSchema>;
export type PipelineStep = z.infer<typeof stepSchema>;

export class PipelineFileError extends Error {
  override name = 'PipelineFileError';
}

/** `build.0.run` → `build[0].run`. */
function keyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)), '') || '(root)';
}

/** Parses and checks a pipeline file's text; errors name the file and the key. */
export function parsePipelineFile(text: string, file = PIPELINE_PATH): Pipeline {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    throw new PipelineFileError(`${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new PipelineFileError(`${file} must be a mapping (build:, deploy:, health:)`);
  const r = pipelineSchema.safeParse(data);
  if (!r.success) {
    const problems = r.error.issues.map((i) => {
      const unknown = i.code === 'unrecognized_keys' ? ` (${(i as { keys: string[] }).keys.join(', ')})` : '';
      return `${keyPath(i.path)}: ${i.message}${unknown}`;
    });
    throw new PipelineFileError(`${file} is invalid: ${problems.join('; ')}`);
  }
  const p = r.data;
  // URLs may only use the runner's own variables: a typo is caught before anything runs.
  const check = (value: string | undefined, key: string, allowDeployUrl: boolean) => {
    if (value === undefined) return;
    for (const name of variablesIn(value)) {
      if (!(PIPELINE_VARIABLES as readonly string[]).includes(name) || (!allowDeployUrl && name === 'DEPLOY_URL')) {
        throw new PipelineFileError(`${file} is invalid: ${key}: unknown variable \${${name}} (known: ${PIPELINE_VARIABLES.filter((v) => allowDeployUrl || v !== 'DEPLOY_URL').join(', ')})`);
      }
    }
  };
  check(p.deploy?.url, 'deploy.url', false);
  check(p.deploy?.moduleUrl, 'deploy.moduleUrl', false);
  check(p.health?.url, 'health.url', true);
  return p;
}

function variablesIn(template: string): string[] {
  return [...template.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] ?? '');
}

/** Replaces `${NAME}` with its value (empty when unset). */
export function expandVariables(template: string, vars: Partial<Record<string, string>>): string {
  return template.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => vars[name] ?? '');
}

/** Where the branch is live after deploy, or undefined when the pipeline does not say. */
export function deployUrlOf(p: Pipeline, vars: Partial<Record<string, string>>, isModuleBranch: boolean): string | undefined {
  const template = (isModuleBranch ? p.deploy?.moduleUrl : undefined) ?? p.deploy?.url;
  return template ? expandVariables(template, vars) : undefined;
}

/** The URL the health check polls: `health.url` (default: the deploy URL) plus `health.path`. */
export function healthUrlOf(p: Pipeline, vars: Partial<Record<string, string>>, deployUrl: string | undefined): string | undefined {
  if (!p.health) return undefined;
  const base = p.health.url ? expandVariables(p.health.url, { ...vars, DEPLOY_URL: deployUrl ?? '' }) : deployUrl;
  if (!base) return undefined;
  return p.health.path ? `${base.replace(/\/+$/, '')}${p.health.path}` : base;
}

/** Branches the runner builds: the base branch (`main`) and `module/*`; the branch name, or undefined. */
export function runnableBranch(ref: string, baseBranch = 'main'): string | undefined {
  if (!ref.startsWith('refs/heads/')) return undefined;
  const branch = ref.slice('refs/heads/'.length);
  return branch === baseBranch || /^module\/./.test(branch) ? branch : undefined;
}
