// Vitest global setup (runs in Node, outside the Angular test bundle): starts `slipway start` on a
// free port with a throwaway data directory, and hands the tests its URL, the admin's credentials
// and CI webhooks signed with the secret it was started with (the bundle has no node:crypto).
import { createHmac } from 'node:crypto';
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM helper shared with the end-to-end tests
import { startSlipway } from '../../../../e2e/support/slipway.mjs';

import type { SignedWebhook } from './provided-context';

const sign = (secret: string, payload: unknown): SignedWebhook => {
  const body = JSON.stringify(payload);
  return { body, signature: `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
};

export default async function setup(project: TestProject) {
  const server = await startSlipway({ env: { LOG_LEVEL: 'error' }, ...(process.env['SLIPWAY_TEST_SERVER_DIR'] ? { serverDir: process.env['SLIPWAY_TEST_SERVER_DIR'] } : {}) });
  const ci = { applicationId: 'backend', branch: 'module/realtime-spec', commit: 'f00dfeed1234567', moduleName: 'realtime-spec' };
  const webhooks = [
    sign(server.secret, { ...ci, deploymentId: 'spec-run-1', status: 'running', message: 'Building image', logs: ['npm ci', 'docker build'] }),
    sign(server.secret, { ...ci, deploymentId: 'spec-run-1', status: 'running', stage: 'deploy', message: 'Deploying', logs: ['dokploy webhook'] }),
    sign(server.secret, { ...ci, deploymentId: 'spec-run-1', status: 'done', message: 'Deployed', logs: ['healthy'] }),
  ];
  project.provide('slipway', { url: server.url, email: server.admin.email, password: server.admin.password, webhooks });
  return async () => {
    await server.stop();
  };
}
