// Vitest global setup (runs in Node, outside the Angular test bundle): starts `slipway start` on a
// free port with a throwaway data directory, and hands the tests its URL, the admin's credentials
// and CI webhooks signed with the secret it was started with (the bundle has no node:crypto).
import { spawn } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM helper shared with the end-to-end tests
import { ROOT, startSlipway } from '../../../../e2e/support/slipway.mjs';

import type { SignedRequest, SignedWebhook } from './provided-context';

const sign = (secret: string, payload: unknown): SignedWebhook => {
  const body = JSON.stringify(payload);
  return { body, signature: `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
};

/** Known Pusher credentials, so the specs can use the server's Pusher HTTP API (signed here). */
const PUSHER = { PUSHER_APP_ID: 'web-spec', PUSHER_APP_KEY: 'web-spec-key', PUSHER_APP_SECRET: 'web-spec-secret' };

/** A Pusher HTTP API trigger, signed as the `pusher` SDK does (valid for 600 s). */
const signTrigger = (event: { name: string; channels: string[]; data: string }): SignedRequest => {
  const body = JSON.stringify(event);
  const path = `/apps/${PUSHER.PUSHER_APP_ID}/events`;
  const query: Record<string, string> = {
    auth_key: PUSHER.PUSHER_APP_KEY,
    auth_timestamp: String(Math.floor(Date.now() / 1000)),
    auth_version: '1.0',
    body_md5: createHash('md5').update(body).digest('hex'),
  };
  const qs = Object.keys(query).sort().map((k) => `${k}=${query[k]}`).join('&');
  const signature = createHmac('sha256', PUSHER.PUSHER_APP_SECRET).update(`POST\n${path}\n${qs}`).digest('hex');
  return { path: `${path}?${qs}&auth_signature=${signature}`, body };
};

/** `slipway user add` beside the running server (one-shot commands may share its database). */
function addUser(dataDir: string, user: { email: string; password: string }, admin: boolean): Promise<void> {
  const serverDir = process.env['SLIPWAY_TEST_SERVER_DIR'] ?? join(ROOT, 'apps', 'server');
  const args = [join(serverDir, 'bin', 'slipway.mjs'), 'user', 'add', '--email', user.email, '--password-stdin', ...(admin ? ['--admin'] : [])];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, SLIPWAY_DATA_DIR: dataDir, LOG_LEVEL: 'error' }, stdio: ['pipe', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdin!.end(`${user.password}\n`);
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`slipway user add failed (${code}): ${err}`)))));
}

export default async function setup(project: TestProject) {
  const server = await startSlipway({ env: { LOG_LEVEL: 'error', ...PUSHER }, ...(process.env['SLIPWAY_TEST_SERVER_DIR'] ? { serverDir: process.env['SLIPWAY_TEST_SERVER_DIR'] } : {}) });
  const ci = { applicationId: 'backend', branch: 'module/realtime-spec', commit: 'f00dfeed1234567', moduleName: 'realtime-spec' };
  const webhooks = [
    sign(server.secret, { ...ci, deploymentId: 'spec-run-1', status: 'running', message: 'Building image', logs: ['npm ci', 'docker build'] }),
    sign(server.secret, { ...ci, deploymentId: 'spec-run-1', status: 'running', stage: 'deploy', message: 'Deploying', logs: ['dokploy webhook'] }),
    sign(server.secret, { ...ci, deploymentId: 'spec-run-1', status: 'done', message: 'Deployed', logs: ['healthy'] }),
  ];
  // What a server whose Redis bus reconnected sends on the channels its sockets hold.
  const resyncHint = signTrigger({ name: 'slipway.resync', channels: ['private-deployments'], data: JSON.stringify({ reason: 'realtime bus reconnected' }) });
  // A second admin, so a spec can show one user another watching the same deployment.
  const second = { email: 'second-admin@example.com', password: 'second-password-123' };
  await addUser(server.dataDir, second, true);
  project.provide('slipway', { url: server.url, email: server.admin.email, password: server.admin.password, webhooks, resyncHint, second });
  return async () => {
    await server.stop();
  };
}
