// `npm start`: builds the web app the first time (so the UI is there), then runs `slipway start`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const built = existsSync(new URL('../apps/web/dist/web/browser/index.html', import.meta.url));
if (!built && existsSync(new URL('../apps/web/angular.json', import.meta.url))) {
  console.log('Building the web app once (apps/web/dist)…');
  const r = spawnSync('npm', ['run', 'build', '-w', '@slipway/web'], { stdio: 'inherit', timeout: 600_000 });
  if (r.status !== 0) console.error('The web app did not build; the API still runs. See the output above.');
}
const r = spawnSync(process.execPath, [new URL('../apps/server/bin/slipway.mjs', import.meta.url).pathname, 'start', ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
