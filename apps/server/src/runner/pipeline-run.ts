import { mkdir, realpath, rename, rm } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { imageTags, moduleSlugFromBranch } from '@slipway/contracts';
import type { ApplicationConfig } from '../config/config.ts';
import { triggerDeploy } from '../dokploy/deploy-trigger.ts';
import { DeployedCommits } from '../dokploy/deployed-commits.ts';
import { dokployClientFor } from '../dokploy/dokploy.client.ts';
import { pushedCommit } from '../dokploy/pushed-commit.ts';
import { checkHealthOnce, publicUrlOf } from '../dokploy/health-check.ts';
import { CHECKOUT_OWNER, checkoutCommit, readFileAt } from './checkout.ts';
import { deployUrlOf, healthUrlOf, parsePipelineFile, PIPELINE_PATH, PipelineFileError, type Pipeline } from './pipeline-file.ts';
import type { Sandbox } from './sandbox.ts';
import type { ServiceSupervisor } from './services.ts';
import { describeStepEnd, runStep, stepSucceeded } from './step-runner.ts';
import { publicAddresses } from './listeners.ts';

export type Stage = 'build' | 'deploy' | 'health';

export interface PipelineRunRequest {
  app: ApplicationConfig;
  /** The hosted bare repository. */
  repoDir: string;
  branch: string;
  commit: string;
  /**
   * The commit deployed before on this branch, when the caller knows it; else the one this runner
   * last handed to Dokploy. Dokploy's watch paths see the changes since.
   */
  previous?: string;
}

export interface PipelineRunDeps {
  /** `<dataDir>/runner`: checkouts, releases, service logs. */
  workDir: string;
  supervisor: ServiceSupervisor;
  /** Every command of the pipeline runs in it (the services too, through the supervisor). */
  sandbox: Sandbox;
  /** Environment the application's Dokploy settings name variables from. */
  env?: Record<string, string | undefined>;
  /** Whether a Docker engine answers; default: `docker info` within 10 s. */
  dockerAvailable?: () => Promise<boolean>;
  defaultStepTimeoutMs?: number;
  dokployTimeoutMs?: number;
}

export interface PipelineHooks {
  /** A stage begins (the reporter sends `running` with it). */
  stage(stage: Stage, message: string): void | Promise<void>;
  line(text: string): void;
  signal?: AbortSignal;
}

export type PipelineOutcome =
  | { kind: 'success'; message: string; url?: string }
  | { kind: 'failed'; stage: Stage; message: string; url?: string }
  /** No pipeline file in the commit: nothing to run. */
  | { kind: 'none'; message: string };

const DEFAULT_STEP_TIMEOUT_MS = 600_000;

/** `module/products` → `module-products`, for file names and service keys. */
export const branchKey = (branch: string) => branch.replace(/[^A-Za-z0-9._-]+/g, '-');
/** The ServiceSupervisor key of what `branch` of the hosted repository `app` runs. */
export const serviceKey = (app: string, branch: string) => `${app}/${branchKey(branch)}`;

/**
 * Runs `.slipway/pipeline.yaml` of a commit: build steps in a temporary checkout, the optional
 * Docker build, the deploy (Dokploy webhook, a command, and/or a supervised service), then the
 * health check. Reports through `hooks`; the outcome says where it stopped and why.
 */
export async function runPipeline(req: PipelineRunRequest, deps: PipelineRunDeps, hooks: PipelineHooks): Promise<PipelineOutcome> {
  const sha7 = req.commit.slice(0, 7);
  const text = await readFileAt(req.repoDir, req.commit, PIPELINE_PATH);
  if (text === undefined) return { kind: 'none', message: `${sha7} has no ${PIPELINE_PATH}: the local runner has nothing to run` };
  let pipeline: Pipeline;
  try {
    pipeline = parsePipelineFile(text);
  } catch (err) {
    if (err instanceof PipelineFileError) return { kind: 'failed', stage: 'build', message: err.message };
    throw err;
  }

  const moduleName = moduleSlugFromBranch(req.branch);
  const key = serviceKey(req.app.id, req.branch);
  const port = pipeline.deploy?.start ? String(await deps.supervisor.portFor(key)) : '';
  const vars: Record<string, string> = {
    PORT: port,
    SLIPWAY_APP: req.app.id,
    SLIPWAY_BRANCH: req.branch,
    SLIPWAY_COMMIT: req.commit,
    SLIPWAY_SHA7: sha7,
    SLIPWAY_MODULE: moduleName ?? '',
    SLIPWAY_HOST: deps.supervisor.host,
    // Where a service listens: loopback only, reached through Slipway's preview proxy (docs/previews.md).
    HOST: deps.supervisor.host,
  };
  const url = deployUrlOf(pipeline, vars, moduleName !== undefined) ?? publicUrlOf(req.app, { moduleSlug: moduleName ?? null, branch: req.branch });
  // Refused rather than run as the server's user: a pipeline is code from whoever can push.
  const ready = await deps.sandbox.check();
  if (!ready.ok) {
    return {
      kind: 'failed',
      stage: 'build',
      message: `Pipelines do not run on this server: the sandbox is unavailable (${ready.reason}). Install bubblewrap, or set SLIPWAY_RUNNER_ISOLATION=none to run them unisolated as the server's user (unsafe).`,
    };
  }
  const isolated = deps.sandbox.mode !== 'none';
  const home = deps.sandbox.home(join(deps.workDir, 'home'));
  if (!isolated) await mkdir(home, { recursive: true });
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    LANG: 'C.UTF-8',
    CI: 'true',
    SLIPWAY_RUNNER: 'local',
    // Inside the sandbox /tmp is private; the host's TMPDIR does not exist there.
    ...(process.env.TMPDIR && !isolated ? { TMPDIR: process.env.TMPDIR } : {}),
    ...pipeline.env,
    ...vars,
    ...(url ? { DEPLOY_URL: url } : {}),
  };

  const checkout = await checkoutCommit(req.repoDir, req.commit, join(deps.workDir, 'checkouts', CHECKOUT_OWNER));
  let keep = false;
  if (!isolated) hooks.line('⚠ SLIPWAY_RUNNER_ISOLATION=none: this pipeline runs unisolated, as the server\'s user');
  const run = async (name: string, command: string, timeoutMs: number, sandboxed = true): Promise<string | undefined> => {
    hooks.line(`▶ ${name}`);
    // Outside the sandbox (Slipway's Docker build) nothing of the pipeline's environment is passed:
    // a variable like LD_PRELOAD would run the pusher's code in a host process.
    const r = sandboxed
      ? await runStep({ command, cwd: checkout.dir, env, timeoutMs, onLine: (l) => hooks.line(l), signal: hooks.signal, sandbox: deps.sandbox })
      : await runStep({ command, cwd: checkout.dir, env: hostToolEnv(), timeoutMs, onLine: (l) => hooks.line(l), signal: hooks.signal });
    const end = describeStepEnd(r, timeoutMs);
    if (stepSucceeded(r)) {
      hooks.line(`✓ ${name} (${(r.durationMs / 1000).toFixed(1)} s)`);
      return undefined;
    }
    hooks.line(`✗ ${name}: ${end}`);
    return `'${name}' failed (${end})`;
  };
  const stepTimeout = (s?: number) => (s ? s * 1000 : (deps.defaultStepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS));

  try {
    await deps.sandbox.handOver(checkout.dir);
    // ---- build ----
    await hooks.stage('build', `Building ${req.branch} at ${sha7}`);
    for (const step of pipeline.build) {
      const failure = await run(step.name, step.run, stepTimeout(step.timeoutSeconds));
      if (failure) return { kind: 'failed', stage: 'build', message: `Build failed: ${failure}` };
    }
    if (pipeline.docker) {
      const d = pipeline.docker;
      if (!(await (deps.dockerAvailable ?? dockerAnswers)())) {
        hooks.line('Docker engine not available (docker info failed): skipping the Docker build');
      } else {
        const image = d.image ?? `slipway/${req.app.id}`;
        const tags = imageTags(req.branch, req.commit, { mainBranch: req.app.baseBranch }).map((t) => `${image}:${t}`);
        // Slipway's own command, run on the host (the Docker socket is not in the sandbox): the
        // Dockerfile's steps run in Docker's build containers. Its file and context must resolve
        // inside the checkout, or a symbolic link would send host files to the build.
        const file = await insideCheckout(checkout.dir, d.file);
        const context = await insideCheckout(checkout.dir, d.context);
        if (!file || !context) return { kind: 'failed', stage: 'build', message: `Build failed: docker.file and docker.context must stay inside the repository` };
        const cmd = ['docker', 'build', '-f', file, ...tags.flatMap((t) => ['-t', t]), context].map(shellQuote).join(' ');
        const failure = await run(`Docker build ${tags.join(', ')}`, cmd, stepTimeout(d.timeoutSeconds), false);
        if (failure) return { kind: 'failed', stage: 'build', message: `Build failed: ${failure}` };
      }
    }

    // ---- deploy ----
    const deploy = pipeline.deploy;
    if (deploy) {
      await hooks.stage('deploy', `Deploying ${req.branch} at ${sha7}`);
      if (deploy.dokploy) {
        const hook = (moduleName ? req.app.dokploy?.moduleWebhookUrl : undefined) ?? req.app.dokploy?.webhookUrl;
        if (!hook) {
          const msg = `deploy.dokploy: application '${req.app.id}' has no Dokploy webhook configured`;
          if (!deploy.run && !deploy.start) return { kind: 'failed', stage: 'deploy', message: msg };
          hooks.line(`${msg}: skipped`);
        } else {
          hooks.line('▶ Dokploy deploy webhook');
          const deployed = new DeployedCommits(join(deps.workDir, 'dokploy'));
          const previous = req.previous ?? (await deployed.get(req.app.id, req.branch));
          const commit = await pushedCommit({ repoDir: req.repoDir, commit: req.commit, branch: req.branch, baseBranch: req.app.baseBranch, previous });
          const changed = commit.changes.added.length + commit.changes.modified.length + commit.changes.removed.length;
          hooks.line(`Dokploy: ${sha7} with ${changed} changed path${changed === 1 ? '' : 's'} (for its watch paths)`);
          const triggered = await triggerDeploy(dokployClientFor(req.app, deps.env ?? {}, { timeoutMs: deps.dokployTimeoutMs ?? 10_000 }), {
            webhookUrl: hook,
            branch: req.branch,
            commit,
            // application.deploy builds the Dokploy application's own branch: only the base branch's is ours.
            fallbackApplicationId: req.branch === req.app.baseBranch ? req.app.dokploy?.applicationId : undefined,
          });
          for (const l of triggered.lines) hooks.line(l);
          if (!triggered.ok) return { kind: 'failed', stage: 'deploy', message: `Deploy failed: ${triggered.message}` };
          await deployed.set(req.app.id, req.branch, req.commit);
        }
      }
      if (deploy.run) {
        const failure = await run('Deploy', deploy.run, stepTimeout(deploy.timeoutSeconds));
        if (failure) return { kind: 'failed', stage: 'deploy', message: `Deploy failed: ${failure}` };
      }
      if (deploy.start) {
        // The service outlives this run: its files move to a release directory it owns.
        const releases = join(deps.workDir, 'releases', req.app.id);
        await mkdir(releases, { recursive: true });
        const release = join(releases, `${branchKey(req.branch)}-${sha7}-${Date.now().toString(36)}`);
        await rename(checkout.dir, release);
        keep = true;
        const logs = join(deps.workDir, 'logs');
        await mkdir(logs, { recursive: true });
        const logFile = join(logs, `${req.app.id}-${branchKey(req.branch)}.log`);
        hooks.line(`▶ Start: ${deploy.start} (port ${port})`);
        try {
          const { pid } = await deps.supervisor.start(key, { command: deploy.start, cwd: release, env, logFile, commit: req.commit });
          hooks.line(`✓ Started (pid ${pid}, port ${port})`);
        } catch (err) {
          await rm(release, { recursive: true, force: true });
          hooks.line(`✗ Start: ${(err as Error).message}`);
          return { kind: 'failed', stage: 'deploy', message: `Deploy failed: ${(err as Error).message}` };
        }
      }
    }

    // ---- health ----
    const healthUrl = healthUrlOf(pipeline, vars, url);
    if (pipeline.health && !healthUrl) hooks.line('health: no URL to check (set health.url or deploy.url): skipped');
    if (pipeline.health && healthUrl) {
      await hooks.stage('health', `Checking ${healthUrl}`);
      const problem = await waitHealthy(healthUrl, pipeline.health.timeoutSeconds * 1000, hooks);
      if (problem) return { kind: 'failed', stage: 'health', message: `Health check failed: ${healthUrl} ${problem}`, url };
    }
    // A service should listen on loopback only (HOST), reached through the preview proxy: say so when it does not.
    if (deploy?.start && port) {
      const exposed = publicAddresses(Number(port));
      if (exposed.length) hooks.line(`⚠ The service listens on ${exposed.join(', ')} port ${port}: reachable from outside this host. Bind to $HOST (127.0.0.1); people reach it through /preview/ (docs/previews.md)`);
    }
    return { kind: 'success', message: moduleName ? `Module '${moduleName}' deployed successfully! 🎉` : `${req.branch} deployed (${sha7})`, url };
  } finally {
    if (!keep) await checkout.remove();
  }
}

/** Polls until 2xx; undefined when healthy, else the last reason. */
async function waitHealthy(url: string, timeoutMs: number, hooks: PipelineHooks): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last = 'was not checked';
  for (let attempt = 1; ; attempt++) {
    const r = await checkHealthOnce(url, Math.min(5000, Math.max(500, deadline - Date.now())));
    if (r.ok) {
      hooks.line(`✓ Health: ${url} answered HTTP ${r.status}`);
      return undefined;
    }
    last = r.reason;
    if (attempt === 1 || attempt % 5 === 0) hooks.line(`Health: ${url}: ${r.reason} (attempt ${attempt})`);
    if (Date.now() + 1000 > deadline || hooks.signal?.aborted) return `did not answer 2xx within ${Math.round(timeoutMs / 1000)} s (last: ${last})`;
    await new Promise((r2) => setTimeout(r2, 1000));
  }
}

/** The server's own settings a host tool (the Docker CLI) needs, and nothing from the pipeline. */
function hostToolEnv(): Record<string, string> {
  const keep = ['PATH', 'HOME', 'DOCKER_HOST', 'DOCKER_CONFIG', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH'];
  return Object.fromEntries(keep.flatMap((k) => (process.env[k] ? [[k, process.env[k]!]] : [])));
}

/** The real path of `p` (relative to `dir`) when it exists inside `dir`, else undefined. */
async function insideCheckout(dir: string, p: string): Promise<string | undefined> {
  try {
    const root = await realpath(dir);
    const full = await realpath(join(root, p));
    const rel = relative(root, full);
    return rel.startsWith('..') || isAbsolute(rel) ? undefined : full;
  } catch {
    return undefined;
  }
}

let dockerCache: { at: number; ok: boolean } | undefined;
/** `docker info` within 10 s; remembered for a minute. */
export async function dockerAnswers(): Promise<boolean> {
  if (dockerCache && Date.now() - dockerCache.at < 60_000) return dockerCache.ok;
  const r = await runStep({ command: 'docker info >/dev/null 2>&1', cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, timeoutMs: 10_000, onLine: () => undefined });
  dockerCache = { at: Date.now(), ok: stepSucceeded(r) };
  return dockerCache.ok;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9._\/:=@-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
