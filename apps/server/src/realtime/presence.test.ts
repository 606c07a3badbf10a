/**
 * Presence channels (issue #15, item 6) with the real pusher-js, laravel-echo and `pusher` SDK,
 * on one instance and on two sharing Redis: members, one user on two sockets counting once,
 * member_added/member_removed, the HTTP API's users and user_count, and the limits.
 */
import { describe, expect, it } from 'vitest';
import Echo from 'laravel-echo';
import { clusterHarness, TOPOLOGIES, unique } from './cluster.testing.ts';
import { appAuthClient, appSdk, nextCall, PusherJs, rawClient, type TestApp } from './testing.ts';

const h = clusterHarness();

async function member(t: TestApp, channelName: string, id: string, info: Record<string, unknown> = { name: `user ${id}` }) {
  const p = h.later(appAuthClient(t, { id, info }));
  const channel = p.subscribe(channelName) as any;
  const members = await nextCall<any>((cb) => channel.bind('pusher:subscription_succeeded', cb), `${id} subscribed`);
  return { p, channel, members };
}
const ids = (members: any) => {
  const out: string[] = [];
  members.each((m: { id: string }) => out.push(m.id));
  return out.sort();
};

describe.each(TOPOLOGIES)('presence channels, %s', (topology) => {
  it('gives a subscriber the members, tells the others who joins and leaves, and counts one user on two sockets once', async () => {
    const [a, b] = await h.start(topology);
    const room = unique('presence-room-');
    const alice = await member(a, room, '1', { name: 'Alice' });
    expect(alice.members.count).toBe(1);
    expect(alice.members.me).toEqual({ id: '1', info: { name: 'Alice' } });

    const added = nextCall<any>((cb) => alice.channel.bind('pusher:member_added', cb), 'member_added');
    const bob = await member(b, room, '2', { name: 'Bob' });
    expect(await added).toEqual({ id: '2', info: { name: 'Bob' } });
    expect(ids(bob.members)).toEqual(['1', '2']);
    expect(bob.members.get('1').info).toEqual({ name: 'Alice' });

    // Bob's second socket, on the other instance: no member_added, still two members.
    const seen: string[] = [];
    alice.channel.bind('pusher:member_added', (m: { id: string }) => seen.push(`added ${m.id}`));
    alice.channel.bind('pusher:member_removed', (m: { id: string }) => seen.push(`removed ${m.id}`));
    const bob2 = await member(a, room, '2', { name: 'Bob' });
    expect(bob2.members.count).toBe(2);
    const sdk = appSdk(a);
    const info = await (await sdk.get({ path: `/channels/${room}`, params: { info: 'user_count,subscription_count' } })).json();
    expect(info).toEqual({ occupied: true, user_count: 2, subscription_count: 3 });
    const users = await (await appSdk(b).get({ path: `/channels/${room}/users` })).json();
    expect(users.users.map((u: { id: string }) => u.id).sort()).toEqual(['1', '2']);

    // One of Bob's sockets leaves: he is still there. The other leaves: member_removed, once.
    bob2.p.disconnect();
    const removed = nextCall<any>((cb) => alice.channel.bind('pusher:member_removed', cb), 'member_removed');
    bob.p.unsubscribe(room);
    expect(await removed).toEqual({ id: '2', info: { name: 'Bob' } });
    expect(seen).toEqual(['removed 2']);
    expect(ids(alice.channel.members)).toEqual(['1']);
    const listed = await (await sdk.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } })).json();
    expect(listed.channels[room]).toEqual({ user_count: 1 });
  });

  it('works with laravel-echo: here, joining and leaving', async () => {
    const [a, b] = await h.start(topology);
    const room = unique('room-');
    const sdk = appSdk(a);
    const echoFor = (t: TestApp, id: string) =>
      h.later(
        new Echo({
          broadcaster: 'pusher',
          key: t.config.key,
          cluster: 'mt1',
          wsHost: '127.0.0.1',
          wsPort: t.port,
          forceTLS: false,
          enabledTransports: ['ws'],
          disableStats: true,
          Pusher: PusherJs,
          authorizer: (channel: { name: string }) => ({
            authorize: (socketId: string, cb: (err: Error | null, auth: unknown) => void) => cb(null, sdk.authorizeChannel(socketId, channel.name, { user_id: id, user_info: { name: id } })),
          }),
        } as never) as Echo<'pusher'> & { disconnect(): void },
      );
    const first = echoFor(a, '10');
    const here = nextCall<any[]>((cb) => first.join(room).here(cb), 'here');
    expect(await here).toEqual([{ name: '10' }]);
    const joining = nextCall<any>((cb) => first.join(room).joining(cb), 'joining');
    const leaving = nextCall<any>((cb) => first.join(room).leaving(cb), 'leaving');
    const second = echoFor(b, '11');
    const secondHere = await nextCall<any[]>((cb) => second.join(room).here(cb), 'second here');
    expect(secondHere).toHaveLength(2);
    expect(await joining).toEqual({ name: '11' });
    second.leave(room);
    expect(await leaving).toEqual({ name: '11' });
  });

  it('refuses a member beyond REALTIME_MAX_PRESENCE_MEMBERS and user info over REALTIME_MAX_PRESENCE_USER_INFO_BYTES, with subscription_error', async () => {
    const [a, b] = await h.start(topology, { maxPresenceMembers: 2, maxPresenceUserInfoBytes: 100 });
    const room = unique('presence-full-');
    await member(a, room, '1');
    await member(b, room, '2');
    // A known user's second socket still gets in; a third user does not.
    await member(a, room, '2');
    const p = h.later(appAuthClient(b, { id: '3' }));
    const err = await nextCall<any>((cb) => p.subscribe(room).bind('pusher:subscription_error', cb), 'refused');
    expect(err).toMatchObject({ type: 'LimitReached', status: 403 });
    const big = h.later(appAuthClient(a, { id: '4', info: { bio: 'x'.repeat(200) } }));
    const tooBig = await nextCall<any>((cb) => big.subscribe(unique('presence-other-')).bind('pusher:subscription_error', cb), 'refused');
    expect(tooBig).toMatchObject({ type: 'LimitReached', status: 400 });
  });

  it('refuses channel_data that was not signed, and the member list does not change', async () => {
    const [a] = await h.start(topology);
    const room = unique('presence-signed-');
    const alice = await member(a, room, '1');
    const sdk = appSdk(a);
    const raw = await rawClient(a.port, a.config.key);
    h.cleanups.push(() => raw.ws.terminate());
    const signed = sdk.authorizeChannel(raw.socketId, room, { user_id: '5' });
    raw.send({ event: 'pusher:subscribe', data: { channel: room, auth: signed.auth, channel_data: JSON.stringify({ user_id: '1', user_info: { name: 'forged' } }) } });
    expect((await raw.next('pusher:subscription_error')).data).toMatchObject({ type: 'AuthError', status: 401 });
    expect(alice.channel.members.count).toBe(1);
    const users = await (await sdk.get({ path: `/channels/${room}/users` })).json();
    expect(users).toEqual({ users: [{ id: '1' }] });
  });
});
