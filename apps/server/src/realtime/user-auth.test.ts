/**
 * User authentication (issue #15, item 9) with the real pusher-js, laravel-echo's user endpoint
 * and the `pusher` SDK, on one instance and on two with Redis: sign-in, sending to a user,
 * terminating a user's connections, and the optional sign-in timeout.
 */
import { describe, expect, it } from 'vitest';
import { clusterHarness, TOPOLOGIES, unique } from './cluster.testing.ts';
import { appAuthClient, appSdk, nextCall, PusherJs, rawClient, waitConnected, type TestApp } from './testing.ts';

const h = clusterHarness();

/** Signed in, and subscribed to its `#server-to-user-{id}` channel (pusher-js does that itself). */
async function userChannelReady(p: PusherJs) {
  await (p.user as unknown as { signinDonePromise: Promise<void> }).signinDonePromise;
  const deadline = Date.now() + 10_000;
  while (!(p.user as any).serverToUserChannel?.subscribed) {
    if (Date.now() > deadline) throw new Error('pusher-js never subscribed to its user channel');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function signedIn(t: TestApp, id: string) {
  const p = h.later(appAuthClient(t, { id, info: { name: id } }));
  await waitConnected(p);
  p.signin();
  await userChannelReady(p);
  return p;
}

describe.each(TOPOLOGIES)('user sign-in, %s', (topology) => {
  it('signs pusher-js in (pusher:signin_success) and delivers sendToUser to every socket of that user only', async () => {
    const [a, b] = await h.start(topology);
    const userId = unique('u');
    const [one, two, other] = [await signedIn(a, userId), await signedIn(b, userId), await signedIn(b, unique('v'))];
    expect((one.user as any).user_data).toEqual({ id: userId, user_info: { name: userId } });
    const gotOne = nextCall<any>((cb) => one.user.bind('notice', cb), 'notice on socket one');
    const gotTwo = nextCall<any>((cb) => two.user.bind('notice', cb), 'notice on socket two');
    const elsewhere: unknown[] = [];
    other.user.bind('notice', (d: unknown) => elsewhere.push(d));
    await appSdk(a).sendToUser(userId, 'notice', { text: 'hi' });
    expect(await gotOne).toEqual({ text: 'hi' });
    expect(await gotTwo).toEqual({ text: 'hi' });
    expect(elsewhere).toEqual([]);
  });

  it('terminates a user’s connections on every instance (POST /users/{id}/terminate_connections); others stay', async () => {
    const [a, b] = await h.start(topology);
    const userId = unique('t');
    const [one, two, other] = [await signedIn(a, userId), await signedIn(b, userId), await signedIn(a, unique('w'))];
    const closed = (p: PusherJs) => nextCall<any>((cb) => p.connection.bind('error', cb), 'error before close');
    const [c1, c2] = [closed(one), closed(two)];
    await appSdk(b).terminateUserConnections(userId);
    expect((await c1).data).toMatchObject({ code: 4009 });
    expect((await c2).data).toMatchObject({ code: 4009 });
    expect(other.connection.state).toBe('connected');
  });

  it('refuses a forged sign-in and a subscription to another user’s channel', async () => {
    const [a] = await h.start(topology);
    const raw = await rawClient(a.port, a.config.key);
    h.cleanups.push(() => raw.ws.terminate());
    const userData = JSON.stringify({ id: '42' });
    raw.send({ event: 'pusher:signin', data: { auth: `${a.config.key}:${'0'.repeat(64)}`, user_data: userData } });
    raw.send({ event: 'pusher:subscribe', data: { channel: '#server-to-user-42' } });
    expect((await raw.next('pusher:subscription_error')).data).toMatchObject({ type: 'AuthError', status: 401 });
    expect(raw.messages.some((m) => m.event === 'pusher:error' && m.data.code === 4009)).toBe(true);
    await appSdk(a).sendToUser('42', 'notice', {});
    raw.send({ event: 'pusher:signin', data: { ...appSdk(a).authenticateUser(raw.socketId, { id: '42' }) } });
    await raw.next('pusher:signin_success');
    expect(raw.messages.filter((m) => m.event === 'notice')).toEqual([]);
  });

  it('closes a socket that does not sign in within REALTIME_SIGNIN_TIMEOUT_SECONDS (4009); a signed-in one stays', async () => {
    const [a] = await h.start(topology, { signinTimeout: 1 });
    const idle = await rawClient(a.port, a.config.key);
    h.cleanups.push(() => idle.ws.terminate());
    const p = await signedIn(a, unique('s'));
    expect((await idle.closed).code).toBe(4009);
    expect(p.connection.state).toBe('connected');
  });
});

describe('/broadcasting/user-auth (Echo’s user endpoint)', () => {
  it('signs the signed-in Slipway user in, with the id from the session, not from the request', async () => {
    const [t] = await h.start('one instance');
    const p = h.later(
      new PusherJs(t.config.key, {
        cluster: 'mt1',
        wsHost: '127.0.0.1',
        wsPort: t.port,
        forceTLS: false,
        enabledTransports: ['ws'],
        disableStats: true,
        userAuthentication: { endpoint: `${t.base}/broadcasting/user-auth`, transport: 'ajax', headers: { Authorization: 'Bearer bob-token' } },
      } as never),
    );
    await waitConnected(p);
    p.signin();
    await userChannelReady(p);
    expect((p.user as any).user_data).toMatchObject({ id: '2' });
    const got = nextCall<any>((cb) => p.user.bind('hello', cb), 'hello');
    await appSdk(t).sendToUser('2', 'hello', { ok: true });
    expect(await got).toEqual({ ok: true });
    const anonymous = await fetch(`${t.base}/broadcasting/user-auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ socket_id: '1.2' }) });
    expect(anonymous.status).toBe(401);
  });
});
