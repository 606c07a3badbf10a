/**
 * A module publish as a person makes it, seen from outside: the request (sent again when the
 * instance that took it died before it was stored), the points of the flow where the chaos tests
 * kill an instance, and what the flow must have left behind (one commit per published version on
 * each hosted repository, one deployment per commit, one runner job per pushed commit).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isTerminal, type DeploymentStatus } from '@slipway/contracts';
import type { Db } from '../db/database.ts';
import { PUBLISH_JOB } from '../modules/modules.service.ts';
import { RUNNER_JOB } from '../runner/index.ts';
import { call } from '../test-support/http.ts';
import { ADMIN } from '../test-support/server.ts';

/** The demo applications every chaos module targets (their pipelines build, start and probe it). */
export const APPS = ['backend', 'frontend'] as const;

/** An admin's bearer token, made the way the web app's Tokens page makes one (session, then POST). */
export async function adminToken(base: string): Promise<string> {
  const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ADMIN) });
  if (res.status !== 200) throw new Error(`sign-in answered ${res.status}`);
  const { csrf_token } = (await res.json()) as { csrf_token: string };
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const made = await call(base, 'POST', '/api/auth/tokens', { body: { name: 'chaos' }, headers: { cookie, 'x-xsrf-token': csrf_token } });
  if (made.status !== 201) throw new Error(`token creation answered ${made.status}: ${JSON.stringify(made.body)}`);
  return made.body.token as string;
}

/**
 * Version `k` of module `slug`: a field named `mark<k>` tells the versions apart (so each one is a
 * new commit). A failing version also holds a relation to a module the demo backend does not have:
 * its build check refuses it, so the deployment's true end is `failed`.
 */
export function moduleBody(slug: string, k: number, failing: boolean) {
  return {
    name: `Chaos ${slug}`,
    slug,
    description: `version ${k}`,
    fields: [
      { name: 'title', type: 'string', required: true },
      { name: `mark${k}`, type: 'string' },
      ...(failing ? [{ name: 'customer', type: 'relation', relation: 'ghosts' }] : []),
    ],
    applications: [...APPS],
  };
}

export interface PublishFlow {
  slug: string;
  k: number;
  expected: 'success' | 'failed';
  sentAt: number;
  /** Requests it took until the version was stored (more than 1: an instance died under it). */
  requests: number;
  /** The instance the last request went to. */
  servedBy?: string;
  /** The commit pushed to the backend repository for this version, once seen. */
  commit?: string;
  terminalAt?: number;
  status?: string;
}

/**
 * Sends version `k` (create for 1, update after) to one of `urls()`, and again to another when the
 * answer never came and the version is not stored: what a person does when a save fails.
 */
export async function publish(urls: () => string[], token: string, flow: PublishFlow, tries = 8): Promise<void> {
  const body = moduleBody(flow.slug, flow.k, flow.expected === 'failed');
  for (let attempt = 0; attempt < tries; attempt++) {
    const all = urls();
    const base = all[Math.floor(Math.random() * all.length)]!;
    flow.requests++;
    flow.servedBy = base;
    const r = await call(base, flow.k === 1 ? 'POST' : 'PUT', flow.k === 1 ? '/api/admin/modules' : `/api/admin/modules/${flow.slug}`, { token, body }).catch(() => undefined);
    if (r && (r.status === 201 || r.status === 200 || r.status === 202)) return;
    if (r && r.status >= 400 && r.status < 500 && r.status !== 409 && r.status !== 429) throw new Error(`publishing ${flow.slug} v${flow.k} answered ${r.status}: ${JSON.stringify(r.body)}`);
    // No answer (the instance died, or the wait ran out), a 409 (an earlier try was stored) or a 5xx: is it stored?
    if (await isStored(urls, token, flow)) return;
    await sleep(500);
  }
  throw new Error(`module ${flow.slug} v${flow.k} was never stored after ${tries} requests`);
}

async function isStored(urls: () => string[], token: string, flow: PublishFlow): Promise<boolean> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const all = urls();
    const r = await call(all[attempt % all.length]!, 'GET', `/api/admin/modules/${flow.slug}`, { token }).catch(() => undefined);
    if (r?.status === 404) return false;
    if (r?.status === 200) return (r.body.fields as { name: string }[]).some((f) => f.name === `mark${flow.k}`);
    await sleep(500);
  }
  return false;
}

function git(reposDir: string, app: string, args: string[]): string {
  return execFileSync('git', ['--git-dir', join(reposDir, `${app}.git`), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

/** The head of `module/<slug>` in a hosted repository, or undefined when the branch does not exist. */
export function branchHead(reposDir: string, app: string, slug: string): string | undefined {
  // The loose ref first: read without starting git, so a kill can land between two pushes.
  try {
    const loose = readFileSync(join(reposDir, `${app}.git`, 'refs', 'heads', 'module', slug), 'utf8').trim();
    if (/^[0-9a-f]{40}$/.test(loose)) return loose;
  } catch {
    /* packed, or no such branch: ask git */
  }
  try {
    return git(reposDir, app, ['rev-parse', '--verify', '--quiet', `refs/heads/module/${slug}`]) || undefined;
  } catch {
    return undefined;
  }
}

/** The commits of `module/<slug>` that are not on main, oldest first. */
export function branchCommits(reposDir: string, app: string, slug: string): string[] {
  if (!branchHead(reposDir, app, slug)) return [];
  const out = git(reposDir, app, ['rev-list', '--reverse', `main..refs/heads/module/${slug}`]);
  return out ? out.split('\n') : [];
}

/** The backend commit of this flow's version, once pushed: the branch head whose module file has its mark. */
export function flowCommit(reposDir: string, flow: PublishFlow): string | undefined {
  const head = branchHead(reposDir, 'backend', flow.slug);
  if (!head) return undefined;
  try {
    git(reposDir, 'backend', ['grep', '--quiet', '-F', `"mark${flow.k}"`, head, '--', 'modules']);
    return head;
  } catch {
    return undefined; // no match (git grep ends 1), or no such tree
  }
}

/** The deployment whose backend target is at `commit`, with whether every target has finished. */
export async function deploymentAt(db: Db, commit: string): Promise<{ id: number; status: string; settled: boolean } | undefined> {
  const rows = await db
    .selectFrom('deployment_targets as t')
    .innerJoin('deployments as d', 'd.id', 't.deployment_id')
    .select(['d.id', 'd.status'])
    .where('t.application_id', '=', 'backend')
    .where('t.commit_sha', '=', commit)
    .execute();
  if (rows.length === 0) return undefined;
  const d = rows[0]!;
  const targets = await db.selectFrom('deployment_targets').select('status').where('deployment_id', '=', d.id).execute();
  const terminal = (s: string) => isTerminal(s as DeploymentStatus);
  return { id: d.id, status: d.status, settled: terminal(d.status) && targets.every((t) => terminal(t.status)) };
}

/**
 * Where in a publish an instance is killed. `while-answering`: the instance the request went to,
 * within 200 ms of it (the person gets no answer and saves again); the others: any instance.
 */
export type KillPoint = 'while-answering' | 'at-random' | 'after-first-push' | 'building' | 'deploying';
export const KILL_POINTS: readonly KillPoint[] = ['while-answering', 'at-random', 'after-first-push', 'building', 'deploying'];

/**
 * Resolves when the flow reaches `point` (or after `maxMs` when it never does, e.g. a failing
 * build never deploys): the moment the caller kills an instance.
 */
export async function reach(point: KillPoint, o: { reposDir: string; flow: PublishFlow; before: string | undefined; db: Db; maxMs: number }): Promise<string> {
  const deadline = Date.now() + o.maxMs;
  if (point === 'at-random') {
    await sleep(Math.random() * o.maxMs);
    return point;
  }
  if (point === 'while-answering') {
    while (!o.flow.servedBy && Date.now() < deadline) await sleep(5);
    await sleep(Math.random() * 200);
    return point;
  }
  while (Date.now() < deadline) {
    const head = branchHead(o.reposDir, 'backend', o.flow.slug);
    if (point === 'after-first-push') {
      if (head && head !== o.before) return point;
    } else if (head && head !== o.before) {
      const d = await deploymentAt(o.db, head).catch(() => undefined);
      const rank = ['pending', 'building', 'deploying'];
      if (d && (rank.indexOf(d.status) >= rank.indexOf(point) || d.settled)) return point;
    }
    await sleep(20);
  }
  return `${point} (not reached in ${o.maxMs} ms)`;
}

/** Runner jobs per pushed commit: none missing, none twice. Returns the problems found. */
export async function runnerJobProblems(db: Db, reposDir: string, slugs: readonly string[]): Promise<string[]> {
  const jobs = await db.selectFrom('jobs').select(['payload']).where('type', '=', RUNNER_JOB).execute();
  const count = new Map<string, number>();
  for (const j of jobs) {
    const p = JSON.parse(j.payload) as { app: string; commit: string };
    count.set(`${p.app}@${p.commit}`, (count.get(`${p.app}@${p.commit}`) ?? 0) + 1);
  }
  const problems: string[] = [];
  for (const slug of slugs) {
    for (const app of APPS) {
      for (const c of branchCommits(reposDir, app, slug)) {
        const n = count.get(`${app}@${c}`) ?? 0;
        if (n !== 1) problems.push(`${app} module/${slug} @ ${c.slice(0, 7)}: ${n} runner jobs`);
      }
    }
  }
  return problems;
}

/**
 * What the publishes of each slug must have left: as many commits on each application's branch as
 * versions published, and one deployment per commit, ending as its version should.
 */
export async function publishProblems(db: Db, reposDir: string, flows: readonly PublishFlow[]): Promise<string[]> {
  const problems: string[] = [];
  const bySlug = new Map<string, PublishFlow[]>();
  for (const f of flows) bySlug.set(f.slug, [...(bySlug.get(f.slug) ?? []), f]);
  for (const [slug, mine] of bySlug) {
    for (const app of APPS) {
      const commits = branchCommits(reposDir, app, slug);
      if (commits.length !== mine.length) problems.push(`${app} module/${slug}: ${commits.length} commits for ${mine.length} published versions`);
    }
    const deployments = await db
      .selectFrom('deployments as d')
      .leftJoin('deployment_targets as t', (j) => j.onRef('t.deployment_id', '=', 'd.id').on('t.application_id', '=', 'backend'))
      .select(['d.id', 'd.status', 'd.message', 't.commit_sha'])
      .where('d.module_slug', '=', slug)
      .execute();
    if (deployments.length !== mine.length) problems.push(`${slug}: ${deployments.length} deployments for ${mine.length} published versions (${deployments.map((d) => `#${d.id} ${d.status}`).join(', ')})`);
    const backend = branchCommits(reposDir, 'backend', slug);
    const wrong: { f: PublishFlow; d: (typeof deployments)[number] }[] = [];
    mine.forEach((f, i) => {
      const commit = backend[i];
      const d = commit ? deployments.filter((x) => x.commit_sha === commit) : [];
      if (d.length !== 1) problems.push(`${slug} v${f.k}: ${d.length} deployments at ${commit?.slice(0, 7) ?? '(no commit)'}`);
      else if (d[0]!.status !== f.expected) wrong.push({ f, d: d[0]! });
    });
    for (const { f, d } of wrong) {
      const events = await db.selectFrom('deployment_events').select('logs').where('deployment_id', '=', d.id).orderBy('sequence').execute();
      const tail = events.flatMap((e) => JSON.parse(e.logs) as string[]).slice(-8);
      problems.push(`${slug} v${f.k}: deployment #${d.id} is ${d.status} (${d.message}), its true end is ${f.expected}; last log lines: ${tail.join(' | ')}`);
    }
  }
  return problems;
}

/**
 * Publishes and builds that ran more than once without a cause: a job may run again only when the
 * process holding it died (a lease that lapsed under a live owner would mean two builds at once).
 * `kills`: when each instance was killed (ms). Returns the problems found.
 */
export async function rerunProblems(db: Db, kills: readonly number[]): Promise<string[]> {
  const jobs = await db.selectFrom('jobs').select(['id', 'type', 'attempts', 'created_at', 'updated_at']).where('type', 'in', [RUNNER_JOB, PUBLISH_JOB]).execute();
  const problems: string[] = [];
  for (const j of jobs) {
    const from = Date.parse(j.created_at);
    const to = Date.parse(j.updated_at);
    const causes = kills.filter((t) => t >= from && t <= to).length;
    if (j.attempts - 1 > causes) problems.push(`job ${j.id} (${j.type}) ran ${j.attempts} times with ${causes} instance kills while it was queued or running`);
  }
  return problems;
}
