// Vitest global setup (runs in Node, outside the Angular test bundle): starts `slipway start` on a
// free port with a throwaway data directory, and hands the tests its URL, the admin's credentials
// and CI webhooks signed with the secret it was started with (the bundle has no node:crypto).
import { createHash, createHmac } from 'node:crypto';
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM helper shared with the end-to-end tests
import { startSlipway } from '../../../../e2e/support/slipway.mjs';

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
  project.provide('slipway', { url: server.url, email: server.admin.email, password: server.admin.password, webhooks, resyncHint });
  return async () => {
    await server.stop();
  };
}
