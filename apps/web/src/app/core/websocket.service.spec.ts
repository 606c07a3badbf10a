import { provideHttpClient, withFetch, withInterceptors } from '@angular/common/http';
import { TestBed } from '@angular/core/testing';
import { firstValueFrom, filter, take, toArray } from 'rxjs';
import { inject as provided } from 'vitest';
import { signIn, sessionInterceptor, type TestSession } from '../../testing/slipway-session';
import { DeploymentService } from './deployment.service';
import type { DeploymentStatusUpdated } from './deployment-status';
import { WebsocketService } from './websocket.service';

/**
 * Real pusher-js (through laravel-echo) against the embedded Pusher server of a real
 * `slipway start`: channel auth over HttpClient with the session cookie and XSRF header, the
 * user's private channel, and signed CI webhooks turning into `.deployment.status-updated` events.
 */
describe('WebsocketService against slipway start', () => {
  const slipway = provided('slipway');
  let session: TestSession;
  let ws: WebsocketService;

  beforeEach(async () => {
    session = await signIn(slipway.url, slipway.email, slipway.password);
    TestBed.configureTestingModule({
      providers: [provideHttpClient(withFetch(), withInterceptors([sessionInterceptor(session)]))],
    });
    ws = TestBed.inject(WebsocketService);
  });

  afterEach(() => ws.disconnect());

  const until = async (cond: () => boolean, ms = 10_000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const sendWebhook = (i: number) =>
    fetch(`${slipway.url}/api/webhooks/dokploy/deployment`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-webhook-signature': slipway.webhooks[i]!.signature },
      body: slipway.webhooks[i]!.body,
    }).then((r) => expect(r.status).toBe(200));

  it('connects, is authorised on its channels, and receives deployment events in order', async () => {
    const deployments = TestBed.inject(DeploymentService);
    await ws.connect(session.user);
    await until(() => ws.state() === 'connected');
    expect(ws.socketId()).toMatch(/^\d+\.\d+$/);
    // Browsers hand binary frames to pusher-js as Blobs, which it cannot parse: every frame must be
    // text. (Under Node, pusher-js's socket would take either, so look at the frames themselves.)
    const frameKinds = new Set<string>();
    const socket = (ws as unknown as { pusher: { connection: { connection: { transport: { socket: { addEventListener?: unknown; on?: unknown } } } } } })
      .pusher.connection.connection.transport.socket as unknown as { addEventListener(t: string, f: (e: { data: unknown }) => void): void };
    socket.addEventListener('message', (e) => frameKinds.add(typeof e.data === 'string' ? 'text' : 'binary'));
    // Channel auth went through /broadcasting/auth; give the subscriptions a moment to settle.
    await new Promise((r) => setTimeout(r, 300));
    expect(ws.problem()).toBeNull();

    const events = firstValueFrom(
      ws.events.pipe(
        filter((e) => e.branch_name === 'module/realtime-spec'),
        take(3),
        toArray(),
      ),
    );
    for (let i = 0; i < 3; i++) await sendWebhook(i);
    const got: DeploymentStatusUpdated[] = await events;

    expect(got.map((e) => e.status)).toEqual(['building', 'deploying', 'success']);
    expect(got.map((e) => e.sequence)).toEqual([...got.map((e) => e.sequence)].sort((a, b) => a - b));
    expect(got[2]!.message).toBe("Module 'realtime-spec' deployed successfully! 🎉");

    expect([...frameKinds]).toEqual(['text']);

    const tracked = deployments.get(got[0]!.deployment_id)();
    expect(tracked?.status).toBe('success');
    expect(tracked?.logs).toEqual(expect.arrayContaining(['npm ci', 'docker build', 'dokploy webhook', 'healthy']));
  });

  it("resynchronises from the API on the server's slipway.resync hint, on the same socket", async () => {
    const deployments = TestBed.inject(DeploymentService);
    await ws.connect(session.user);
    await until(() => ws.state() === 'connected');
    await new Promise((r) => setTimeout(r, 300)); // the channel subscriptions settle
    const socket = ws.socketId();
    const resync = vi.spyOn(deployments, 'resync');
    const hint = slipway.resyncHint;
    const r = await fetch(`${slipway.url}${hint.path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: hint.body });
    expect(r.status).toBe(200);
    await until(() => resync.mock.calls.length > 0);
    expect(ws.socketId()).toBe(socket);
    expect(ws.state()).toBe('connected');
  });

  it('resynchronises from the API after the socket drops and comes back', async () => {
    const deployments = TestBed.inject(DeploymentService);
    await ws.connect(session.user);
    await until(() => ws.state() === 'connected');
    const resync = vi.spyOn(deployments, 'resync');

    // The server closes the socket as it does when shutting down (4200: reconnect at once).
    const pusher = (ws as unknown as { pusher: { connection: { socket?: { close(): void }; disconnect(): void; connect(): void } } }).pusher;
    pusher.connection.disconnect();
    await until(() => ws.state() === 'offline' || ws.state() === 'reconnecting');
    pusher.connection.connect();
    await until(() => ws.state() === 'connected');
    await until(() => resync.mock.calls.length > 0);
    expect(resync).toHaveBeenCalled();
  });
});
