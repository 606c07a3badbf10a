/**
 * External service: Slipway's embedded server off, deployment events sent through the official
 * `pusher` SDK to a Pusher-compatible service. The service here is a second, embedded-mode
 * instance of this server standing where Soketi or Reverb would.
 */
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { nextCall, PusherJs, sampleChange, startTestApp, TEST_SECRET, type TestApp } from './testing.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(overrides: Parameters<typeof startTestApp>[0]): Promise<TestApp> {
  const t = await startTestApp(overrides);
  cleanups.push(() => t.close());
  return t;
}

describe('external Pusher-compatible service', () => {
  it('publishes deployment changes through the pusher SDK; browsers auth at Slipway and connect to the service', async () => {
    const service = await start({ secret: TEST_SECRET, key: 'shared-key', appId: 'shared-app' });
    const slipway = await start({ driver: 'external', host: '127.0.0.1', port: service.port, scheme: 'http', secret: TEST_SECRET, key: 'shared-key', appId: 'shared-app' });
    expect(slipway.realtime.server).toBeNull();

    const config = (await (await fetch(`${slipway.base}/api/config`)).json()).realtime;
    expect(config).toMatchObject({ driver: 'external', host: '127.0.0.1', port: service.port, scheme: 'http', key: 'shared-key' });

    const p = new PusherJs(config.key, {
      cluster: config.cluster,
      wsHost: config.host,
      wsPort: config.port,
      forceTLS: false,
      enabledTransports: ['ws'],
      channelAuthorization: { endpoint: `${slipway.base}/broadcasting/auth`, transport: 'ajax', headers: { Authorization: 'Bearer alice-token' } },
    });
    cleanups.push(() => p.disconnect());
    const ch = p.subscribe('private-App.Models.User.1');
    await nextCall((cb) => ch.bind('pusher:subscription_succeeded', cb), 'subscribed at the service');
    const got = nextCall<any>((cb) => ch.bind('deployment.status-updated', cb), 'event via SDK');
    slipway.realtime.broadcaster.publish(sampleChange(1, 5));
    expect(await got).toMatchObject({ sequence: 5, status: 'success', module_slug: 'products' });
  });

  it('runs no embedded server: no socket endpoint, no HTTP API', async () => {
    const slipway = await start({ driver: 'external', host: '127.0.0.1', port: 9, scheme: 'http', secret: TEST_SECRET });
    const ws = new WebSocket(`ws://127.0.0.1:${slipway.port}/app/${slipway.config.key}?protocol=7`);
    const outcome = await new Promise<string>((resolve) => {
      ws.on('open', () => resolve('open'));
      ws.on('unexpected-response', (_req, res) => resolve(`http ${res.statusCode}`));
      ws.on('error', (e) => resolve(`error ${e.message}`));
    });
    ws.terminate();
    expect(outcome).not.toBe('open');
    expect((await fetch(`${slipway.base}/apps/${slipway.config.appId}/events`, { method: 'POST' })).status).toBe(404);
  });

  it('never throws into the caller when the service is unreachable', async () => {
    const slipway = await start({ driver: 'external', host: '127.0.0.1', port: 9, scheme: 'http', secret: TEST_SECRET });
    expect(() => slipway.realtime.broadcaster.publish(sampleChange(1))).not.toThrow();
    await slipway.realtime.broadcaster.close?.();
  });
});
