import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ApplicationConfig } from '../config/config.ts';
import { ensureBareRepo, type GitLogger } from '../git/index.ts';

/** `demo/` at the root of the Slipway checkout: the demo applications' first commit. */
export const DEMO_SOURCE_DIR = fileURLToPath(new URL('../../../../demo/', import.meta.url));

/** The two demo applications: a JSON API and a web page per module, each with its own template pack. */
export const DEMO_APPS = [
  { id: 'backend', name: 'Demo backend (JSON API)', templatePack: 'demo-api' },
  { id: 'frontend', name: 'Demo frontend (web pages)', templatePack: 'demo-web' },
] as const;

export interface DemoSetupOptions {
  /** `<dataDir>/repos`. */
  reposDir: string;
  /** The applications the operator configured: a demo id configured there is left alone. */
  configured: readonly Pick<ApplicationConfig, 'id'>[];
  register: (app: ApplicationConfig) => void;
  sourceDir?: string;
  log?: GitLogger;
}

/** Every file under `dir` (relative paths, `/`-separated), for a first commit. */
export async function readTree(dir: string): Promise<{ path: string; content: Buffer }[]> {
  const out: { path: string; content: Buffer }[] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.name === 'node_modules' || e.name === '.git') continue;
      if (e.isDirectory()) await walk(path);
      else if (e.isFile()) out.push({ path, content: await readFile(join(dir, path)) });
    }
  };
  await walk('');
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * The demo out of the box: `backend` and `frontend` as repositories Slipway hosts (created from
 * `demo/<id>` the first time, never overwritten: people may have pushed since), registered as
 * deploy targets with their repository's own template pack. Returns the applications it registered.
 */
export async function setupDemoApps(o: DemoSetupOptions): Promise<ApplicationConfig[]> {
  const taken = new Set(o.configured.map((a) => a.id));
  const registered: ApplicationConfig[] = [];
  for (const demo of DEMO_APPS) {
    if (taken.has(demo.id)) continue;
    const initialFiles = await readTree(join(o.sourceDir ?? DEMO_SOURCE_DIR, demo.id));
    const { path } = await ensureBareRepo(o.reposDir, demo.id, { initialFiles, message: `Slipway demo ${demo.id}`, log: o.log });
    const app: ApplicationConfig = { id: demo.id, name: demo.name, repoUrl: path, baseBranch: 'main', templatePack: demo.templatePack };
    o.register(app);
    registered.push(app);
  }
  return registered;
}
