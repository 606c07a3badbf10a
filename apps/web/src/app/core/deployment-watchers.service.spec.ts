import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import Pusher from 'pusher-js';
import { inject as provided } from 'vitest';
import { sessionInterceptor, sessionPusher, signIn, type TestSession } from '../../testing/slipway-session';
import { DeploymentWatchersService } from './deployment-watchers.service';
import { WebsocketService } from './websocket.service';

/**
 * Who is watching a deployment, with real pusher-js (through laravel-echo) against a real
 * `slipway start`: the presence channel `presence-deployment.{id}` is authorised by
 * /broadcasting/auth for a user who may see the deployment, and one user on two sockets is one watcher.
 */
describe('DeploymentWatchersService against slipway start', () => {
  const slipway = provided('slipway');
  let session: TestSession;
  let ws: WebsocketService;
  let watchers: DeploymentWatchersService;
  const extra: Pusher[] = [];

  beforeEach(async () => {
    session = await signIn(slipway.url, slipway.email, slipway.password);
    TestBed.configureTestingModule({
      providers: [provideHttpClient(withFetch(), withInterceptors([sessionInterceptor(session)]))],
    });
    ws = TestBed.inject(WebsocketService);
    watchers = TestBed.inject(DeploymentWatchersService);
  });

  afterEach(() => {
    for (const p of extra.splice(0)) p.disconnect();
    ws.disconnect();
  });

  const until = async (cond: () => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  /** A deployment the admin may see: made by a signed CI webhook. */
  async function deploymentId(): Promise<string> {
    const sent = await fetch(`${slipway.url}/api/webhooks/dokploy/deployment`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': slipway.webhooks[0]!.signature },
      body: slipway.webhooks[0]!.body,
    });
    expect(sent.status).toBe(200);
    const list = await fetch(`${slipway.url}/api/admin/deployments`, { headers: { cookie: session.cookie } });
    const body = (await list.json()) as { data: { deployment_id: string }[] };
    return body.data[0]!.deployment_id;
  }

  it('lists the viewer once joined, and counts a second socket of the same user once', async () => {
    const id = await deploymentId();
    await ws.connect(session.user);
    const members = watchers.watch(id);
    await until(() => members().length === 1);
    expect(members()).toEqual([{ id: session.user.id, email: session.user.email }]);

    // The same user in another tab: still one watcher.
    const second = await sessionPusher(session);
    extra.push(second);
    const channel = second.subscribe(`presence-deployment.${id}`) as unknown as { members: { count: number }; bind(e: string, cb: () => void): void };
    await new Promise<void>((resolve) => channel.bind('pusher:subscription_succeeded', () => resolve()));
    expect(channel.members.count).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(members()).toHaveLength(1);

    watchers.unwatch(id);
  });

  it('shows nobody for a deployment the user may not see (the server refuses the channel)', async () => {
    await ws.connect(session.user);
    await until(() => ws.state() === 'connected');
    const members = watchers.watch('999999');
    await new Promise((r) => setTimeout(r, 500));
    expect(members()).toEqual([]);
    watchers.unwatch('999999');
  });
});
