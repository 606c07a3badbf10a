import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { APP_REPO_PATTERN } from '../git/index.ts';
import { gitEnv, runGit } from '../git/git-runner.ts';
import { makeScrubber } from '../git/scrub.ts';

export interface BranchHead {
  app: string;
  branch: string;
  commit: string;
}

/** The `module/*` branch heads of every hosted repository (`<reposDir>/<app>.git`). */
export async function moduleBranchHeads(reposDir: string): Promise<BranchHead[]> {
  const names = existsSync(reposDir) ? await readdir(reposDir) : [];
  const heads: BranchHead[] = [];
  for (const name of names.sort()) {
    const app = name.endsWith('.git') ? name.slice(0, -4) : '';
    if (!APP_REPO_PATTERN.test(app) || !existsSync(join(reposDir, name, 'HEAD'))) continue;
    const r = await runGit(['for-each-ref', '--format=%(objectname) %(refname)', 'refs/heads/module/'], {
      cwd: join(reposDir, name),
      env: gitEnv(),
      timeoutMs: 15_000,
      scrub: makeScrubber(),
    });
    for (const line of r.stdout.toString('utf8').split('\n')) {
      const m = /^([0-9a-f]{40}) refs\/heads\/(module\/.+)$/.exec(line);
      if (m) heads.push({ app, branch: m[2]!, commit: m[1]! });
    }
  }
  return heads;
}
