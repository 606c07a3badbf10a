/**
 * Publish bench: a 10-file module published as a new branch into generated target repositories of
 * 1k, 10k and 50k files with long histories — Slipway's publisher (plumbing over a cached
 * blobless mirror) beside the spec's approach (full clone, add the files, commit, push), in the
 * same run, over file:// and over smart HTTP (Slipway's own git routes, token auth).
 *
 *   node --import tsx bench/publish/run.ts [--sizes 1000,10000,50000] [--history 1000] [--reps 2]
 *                                          [--transports file,http] [--keep]
 *
 * Modes, each the best of --reps runs (other jobs on a shared machine only ever add time, to
 * whichever mode runs beside them; both sides get the same treatment):
 *  - full clone: `git clone` (with checkout), write 10 files, `add`, `commit`, `push` a new branch;
 *  - cold: Slipway with an empty mirror folder (creates the blobless mirror first);
 *  - warm: Slipway with the mirror of the previous publish, upstream unchanged;
 *  - moved: warm, but a commit landed on main upstream since (an incremental fetch is needed).
 * Repositories are generated with one `git fast-import` stream each.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import { gitHttpRoutes } from '../../apps/server/src/git/git-http.routes.ts';
import { RepoPermissions } from '../../apps/server/src/git/repo-permissions.ts';
import { gitEnv } from '../../apps/server/src/git/git-runner.ts';
import { publishModuleBranch, type PublishRequest } from '../../apps/server/src/git/publish.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,50000' },
    history: { type: 'string', default: '1000' },
    reps: { type: 'string', default: '2' },
    transports: { type: 'string', default: 'file,http' },
    keep: { type: 'boolean', default: false },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const HISTORY = Number(values.history);
const REPS = Math.max(1, Number(values.reps));
const TRANSPORTS = values.transports.split(',') as ('file' | 'http')[];
const TOKEN = `slp_${randomBytes(24).toString('base64url')}`;
const AUTHOR = { name: 'Slipway Bench', email: 'bench@slipway.local' };

const root = mkdtempSync(join(tmpdir(), 'slipway-bench-publish-'));
const reposDir = join(root, 'repos');
mkdirSync(reposDir);

/** A git command to completion (stdin streamed from `feed` when given). */
function git(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; feed?: (w: NodeJS.WritableStream) => Promise<void> } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: opts.cwd, env: opts.env ?? gitEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`git ${args.join(' ')} → ${code}: ${err}`))));
    if (opts.feed) opts.feed(child.stdin).then(() => child.stdin.end(), reject);
    else child.stdin.end();
  });
}

function write(w: NodeJS.WritableStream, chunk: string | Buffer): Promise<void> {
  return w.write(chunk) ? Promise.resolve() : new Promise((r) => w.once('drain', () => r()));
}

const filePath = (i: number) => `src/pkg${i % 100}/mod${Math.floor(i / 100) % 25}/file${i}.ts`;
/** ~2.4 KB of incompressible text per file, like the 120 MiB, 50k-file repository measured on these machines. */
const content = () => `${randomBytes(1200).toString('hex').replace(/(.{80})/g, '$1\n')}\n`;

async function blobData(w: NodeJS.WritableStream, body: string) {
  await write(w, `data ${Buffer.byteLength(body)}\n${body}\n`);
}

/**
 * Generation only (not measured): glibc's malloc shrinks and regrows fast-import's heap with a
 * brk call per object, and brk is slow on these VMs (1.3 s instead of 15 s per 200 commits with this).
 */
const GEN_ENV = gitEnv({ MALLOC_TOP_PAD_: String(256 << 20), MALLOC_TRIM_THRESHOLD_: String(1 << 30) });

/** A bare repository: one commit with `files` files, then `history` commits touching 5 files each. */
async function generateRepo(name: string, files: number, history: number): Promise<string> {
  const dir = join(reposDir, `${name}.git`);
  await git(['init', '--bare', '--quiet', '--initial-branch=main', dir]);
  await git(['config', 'uploadpack.allowFilter', 'true'], { cwd: dir });
  let t = 1_600_000_000;
  await git(['fast-import', '--quiet', '--done'], {
    cwd: dir,
    env: GEN_ENV,
    feed: async (w) => {
      await write(w, `commit refs/heads/main\ncommitter Gen <gen@x> ${t} +0000\ndata 7\ninitial\n`);
      for (let i = 0; i < files; i++) {
        await write(w, `M 100644 inline ${filePath(i)}\n`);
        await blobData(w, content());
      }
      await write(w, '\n');
      for (let c = 0; c < history; c++) {
        await write(w, `commit refs/heads/main\ncommitter Gen <gen@x> ${++t} +0000\ndata 8\nchange ${c % 10}\n`);
        for (let k = 0; k < 5; k++) {
          await write(w, `M 100644 inline ${filePath((c * 7919 + k * 104729) % files)}\n`);
          await blobData(w, content());
        }
        await write(w, '\n');
      }
      await write(w, 'done\n');
    },
  });
  return dir;
}

/** One more commit on main upstream, as if someone merged something. */
async function moveUpstream(dir: string, files: number) {
  const parent = await git(['rev-parse', 'main'], { cwd: dir });
  await git(['fast-import', '--quiet', '--done'], {
    cwd: dir,
    env: GEN_ENV,
    feed: async (w) => {
      await write(w, `commit refs/heads/main\ncommitter Gen <gen@x> ${Math.floor(Date.now() / 1000)} +0000\ndata 5\nmove\nfrom ${parent}\n`);
      await write(w, `M 100644 inline ${filePath(Math.floor(Math.random() * files))}\n`);
      await blobData(w, content());
      await write(w, '\ndone\n');
    },
  });
}

const moduleFiles = (slug: string) =>
  Array.from({ length: 10 }, (_, i) => ({
    path: `src/modules/${slug}/${['routes', 'service', 'store', 'schema', 'types', 'index', 'routes.test', 'service.test', 'migration', 'README'][i]}.ts`,
    content: `// module ${slug}, file ${i}\nexport const value${i} = ${JSON.stringify(randomBytes(16).toString('hex'))};\n`,
  }));

function remoteOf(transport: 'file' | 'http', name: string, httpBase: string) {
  return transport === 'file' ? { url: `file://${join(reposDir, `${name}.git`)}` } : { url: `${httpBase}/git/${name}.git`, token: TOKEN };
}

/** The spec's way: full clone with checkout, add the files, commit, push a new branch. */
async function fullClone(remote: { url: string; token?: string }, slug: string, workDir: string): Promise<number> {
  const config: [string, string][] = remote.token ? [[`http.${remote.url}.extraHeader`, `Authorization: Bearer ${remote.token}`]] : [];
  const env = gitEnv(
    { GIT_AUTHOR_NAME: AUTHOR.name, GIT_AUTHOR_EMAIL: AUTHOR.email, GIT_COMMITTER_NAME: AUTHOR.name, GIT_COMMITTER_EMAIL: AUTHOR.email },
    [...config, ['protocol.version', '2']],
  );
  const t0 = performance.now();
  await git(['clone', '--quiet', remote.url, workDir], { env });
  for (const f of moduleFiles(slug)) {
    mkdirSync(dirname(join(workDir, f.path)), { recursive: true });
    writeFileSync(join(workDir, f.path), f.content);
  }
  await git(['add', '--all'], { cwd: workDir, env });
  await git(['commit', '--quiet', '-m', `Add module ${slug}`], { cwd: workDir, env });
  await git(['push', '--quiet', 'origin', `HEAD:refs/heads/module/${slug}`], { cwd: workDir, env });
  return performance.now() - t0;
}

async function slipway(remote: { url: string; token?: string }, slug: string, mirrorsDir: string): Promise<number> {
  const req: PublishRequest = {
    remote,
    baseBranch: 'main',
    branch: `module/${slug}`,
    files: moduleFiles(slug),
    message: `Add module ${slug}`,
    author: AUTHOR,
    mirrorsDir,
    timeoutMs: 120_000,
  };
  const t0 = performance.now();
  const r = await publishModuleBranch(req);
  const ms = performance.now() - t0;
  if (!r.created || r.changedFiles !== 10) throw new Error(`unexpected publish result ${JSON.stringify(r)}`);
  return ms;
}

const best = (xs: number[]) => Math.min(...xs);
const duMiB = (p: string): number => {
  let total = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const f = join(d, e.name);
      if (e.isDirectory()) walk(f);
      else total += statSync(f).size;
    }
  };
  walk(p);
  return total / 1024 / 1024;
};

interface Row {
  files: number;
  transport: string;
  repoMiB: number;
  mirrorMiB: number;
  full: number;
  cold: number;
  warm: number;
  moved: number;
}

async function main() {
  const app = Fastify({ logger: false });
  await app.register(gitHttpRoutes, {
    reposDir,
    authenticate: async (req) => (req.headers.authorization === `Bearer ${TOKEN}` ? { id: 1, email: 'bench@slipway.local', role: 'admin' } : null),
    // The bench user is an admin: every push is allowed, as for Slipway's own publisher.
    permissions: new RepoPermissions({ rules: () => undefined, modulePrefix: 'module/', moduleOwner: async () => null }),
    onPush: () => undefined,
  });
  const httpBase = await app.listen({ port: 0, host: '127.0.0.1' });
  const rows: Row[] = [];
  const clones: string[] = [];
  let seq = 0;
  try {
    for (const files of SIZES) {
      const name = `repo-${files}`;
      const g0 = performance.now();
      const dir = await generateRepo(name, files, HISTORY);
      const repoMiB = duMiB(dir);
      console.error(`generated ${name}: ${files} files, ${HISTORY + 1} commits, ${repoMiB.toFixed(0)} MiB in ${((performance.now() - g0) / 1000).toFixed(1)} s`);
      for (const transport of TRANSPORTS) {
        const remote = remoteOf(transport, name, httpBase);
        const cold: number[] = [];
        const warm: number[] = [];
        const moved: number[] = [];
        const full: number[] = [];
        let mirrorMiB = 0;
        for (let r = 0; r < REPS; r++) {
          const mirrorsDir = join(root, `mirrors-${++seq}`);
          cold.push(await slipway(remote, `cold-${seq}`, mirrorsDir));
          mirrorMiB = duMiB(mirrorsDir);
          warm.push(await slipway(remote, `warm-${seq}`, mirrorsDir));
          await moveUpstream(dir, files);
          moved.push(await slipway(remote, `moved-${seq}`, mirrorsDir));
          rmSync(mirrorsDir, { recursive: true, force: true });
        }
        // Baselines after Slipway's runs; their work trees are removed only at the very end
        // (deleting big work trees slows file creation on these machines for a while).
        for (let r = 0; r < REPS; r++) {
          const work = join(root, `clone-${++seq}`);
          clones.push(work);
          full.push(await fullClone(remote, `full-${seq}`, work));
        }
        const row = { files, transport, repoMiB, mirrorMiB, full: best(full), cold: best(cold), warm: best(warm), moved: best(moved) };
        rows.push(row);
        console.error(`  ${transport}: full ${fmt(row.full)}, cold ${fmt(row.cold)}, warm ${fmt(row.warm)}, moved ${fmt(row.moved)}`);
      }
    }
  } finally {
    await app.close();
  }
  print(rows);
  if (!values.keep) rmSync(root, { recursive: true, force: true });
  else console.log(`\nkept ${root}`);
}

const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;

function print(rows: Row[]) {
  console.log(`\n10-file module published as a new branch; ${HISTORY + 1}-commit histories; best of ${REPS} runs; load average ${loadavg()[0]?.toFixed(1)} at the end`);
  console.log('\n| files | transport | repo | mirror | full clone (spec) | Slipway cold | Slipway warm | warm, upstream moved | warm / full | cold / full |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.files.toLocaleString('en')} | ${r.transport} | ${r.repoMiB.toFixed(0)} MiB | ${r.mirrorMiB.toFixed(1)} MiB | ${fmt(r.full)} | ${fmt(r.cold)} | ${fmt(r.warm)} | ${fmt(r.moved)} | ${pct(r.warm, r.full)} | ${pct(r.cold, r.full)} |`,
    );
  }
  for (const transport of TRANSPORTS) {
    const rs = rows.filter((r) => r.transport === transport);
    const small = rs[0];
    const big = rs[rs.length - 1];
    if (!small || !big || small === big) continue;
    const growth = big.files / small.files;
    console.log(
      `\n${transport}: ${growth}× the files → full clone ${(big.full / small.full).toFixed(1)}×, Slipway warm ${(big.warm / small.warm).toFixed(2)}×, moved ${(big.moved / small.moved).toFixed(2)}×, cold ${(big.cold / small.cold).toFixed(1)}×`,
    );
  }
  const target = rows.filter((r) => r.files === Math.max(...SIZES));
  for (const r of target) {
    const ok = r.warm <= 0.2 * r.full;
    console.log(`target at ${r.files.toLocaleString('en')} files over ${r.transport} (warm ≤ 20% of full clone): ${ok ? 'met' : 'MISSED'} — ${pct(r.warm, r.full)}`);
  }
}

await main();
