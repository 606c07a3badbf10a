import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { MAT_DIALOG_DATA, MatDialogRef } from '@angular/material/dialog';
import Pusher from 'pusher-js';
import { inject as provided } from 'vitest';
import { sessionInterceptor, sessionPusher, signIn, type TestSession } from '../../../../../testing/slipway-session';
import { AuthService } from '../../../../core/auth.service';
import { WebsocketService } from '../../../../core/websocket.service';
import { DeploymentStatusComponent } from './deployment-status.component';

/**
 * "Also watching" in the deployment dialog (issue #15, item 11), with real pusher-js against a
 * real `slipway start`: a second admin opening the same deployment appears in the first one's
 * dialog, and disappears when they leave. The viewer never lists themselves.
 */
describe('DeploymentStatusComponent: who else is watching', () => {
  const slipway = provided('slipway');
  let me: TestSession;
  let other: TestSession;
  let ws: WebsocketService;
  const extra: Pusher[] = [];

  const until = async (cond: () => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  beforeEach(async () => {
    me = await signIn(slipway.url, slipway.email, slipway.password);
    other = await signIn(slipway.url, slipway.second.email, slipway.second.password);
  });
  afterEach(() => {
    for (const p of extra.splice(0)) p.disconnect();
    ws?.disconnect();
  });

  /** A deployment both may see (they are admins): made by a signed CI webhook. */
  async function deploymentId(): Promise<string> {
    const sent = await fetch(`${slipway.url}/api/webhooks/dokploy/deployment`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': slipway.webhooks[0]!.signature },
      body: slipway.webhooks[0]!.body,
    });
    expect(sent.status).toBe(200);
    const list = await fetch(`${slipway.url}/api/admin/deployments`, { headers: { cookie: me.cookie } });
    return ((await list.json()) as { data: { deployment_id: string }[] }).data[0]!.deployment_id;
  }

  /** The other admin's browser tab on the same deployment: pusher-js with their session. */
  async function otherWatches(id: string): Promise<Pusher> {
    const p = await sessionPusher(other);
    extra.push(p);
    const ch = p.subscribe(`presence-deployment.${id}`);
    await new Promise<void>((resolve) => ch.bind('pusher:subscription_succeeded', () => resolve()));
    return p;
  }

  it('lists another admin with the deployment open, and drops them when they leave', async () => {
    const id = await deploymentId();
    TestBed.configureTestingModule({
      imports: [DeploymentStatusComponent],
      providers: [
        provideHttpClient(withFetch(), withInterceptors([sessionInterceptor(me)])),
        { provide: MAT_DIALOG_DATA, useValue: { deploymentId: id } },
        { provide: MatDialogRef, useValue: { close: () => {} } },
      ],
    });
    TestBed.inject(AuthService).user.set(me.user);
    ws = TestBed.inject(WebsocketService);
    await ws.connect(me.user);
    await until(() => ws.state() === 'connected');
    const fixture = TestBed.createComponent(DeploymentStatusComponent);
    const el = fixture.nativeElement as HTMLElement;
    const watchers = () => {
      fixture.detectChanges();
      return el.querySelector('[data-testid=deployment-watchers]')?.textContent?.trim() ?? null;
    };
    await until(() => {
      fixture.detectChanges();
      return el.querySelector('[data-testid=deployment-status]') !== null;
    });
    // Alone (the viewer is a member of the channel, but never listed).
    await new Promise((r) => setTimeout(r, 300));
    expect(watchers()).toBeNull();

    const tab = await otherWatches(id);
    await until(() => watchers() !== null);
    expect(watchers()).toBe(`visibility Also watching: ${slipway.second.email}`);

    tab.disconnect();
    await until(() => watchers() === null);
    fixture.destroy();
  });
});
