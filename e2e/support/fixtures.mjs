// What the browser tests need around `slipway start`: real git remotes for the applications (bare
// repositories with a `main` branch), a stand-in for the deployed module's public URL, and CI's
// signed status webhooks, sent exactly as CI (packages/notify) sends them.
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { freePort } from './slipway.mjs';

const git = (cwd, ...args) => execFileSync('git', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

/** One bare repository per application, each with a first commit on `main`. */
export function createRemotes(dir, ids) {
  const remotes = {};
  for (const id of ids) {
    const bare = join(dir, `${id}.git`);
    const work = join(dir, `${id}-seed`);
    mkdirSync(work, { recursive: true });
    git(dir, 'init', '-q', '--bare', '-b', 'main', bare);
    git(work, 'init', '-q', '-b', 'main');
    writeFileSync(join(work, 'README.md'), `# ${id}\n`);
    git(work, 'add', '.');
    git(work, '-c', 'user.name=e2e', '-c', 'user.email=e2e@example.com', 'commit', '-q', '-m', 'initial');
    git(work, 'push', '-q', bare, 'main');
    remotes[id] = bare;
  }
  return remotes;
}

/** The commit a branch points at in a remote, or null. */
export function branchCommit(remote, branch) {
  const out = git(process.cwd(), 'ls-remote', remote, `refs/heads/${branch}`);
  return out ? out.split(/\s+/)[0] : null;
}

/** Stand-in for the deployed module (Dokploy would serve it): answers its API path with JSON. */
export async function liveModuleServer() {
  const port = await freePort();
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ module: req.url, data: [{ id: 1, title: 'First product', price: 9.5 }] }));
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(r)) };
}

/** POST /api/webhooks/dokploy/deployment with `X-Webhook-Signature: sha256=<hmac>`, as CI does. */
export async function sendWebhook(base, secret, payload) {
  const body = JSON.stringify({ timestamp: new Date().toISOString(), isModuleBranch: true, ...payload });
  const r = await fetch(`${base}/api/webhooks/dokploy/deployment`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-webhook-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` },
    body,
  });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`webhook refused: ${r.status} ${text}`);
  return JSON.parse(text);
}
