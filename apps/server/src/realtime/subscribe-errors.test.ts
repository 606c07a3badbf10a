/**
 * Issue #15, bugs 1 and 2, with the real pusher-js and `pusher` SDK on one instance and on two with
 * Redis: `channel_data: null` is "none", and a refused subscription is a `pusher:subscription_error`
 * on that channel with Pusher's type/error/status, which pusher-js hands to the channel.
 */
import { describe, expect, it } from 'vitest';
import { clusterHarness, TOPOLOGIES, unique } from './cluster.testing.ts';
import { appSdk, nextCall, pusherClient, rawClient } from './testing.ts';

const h = clusterHarness();

describe.each(TOPOLOGIES)('subscriptions, %s', (topology) => {
  it('subscribes a private channel sent with channel_data: null (as Soketi’s client does), and delivers to it', async () => {
    const [a, b] = await h.start(topology);
    const channel = unique('private-orders-');
    const raw = await rawClient(a.port, a.config.key);
    h.cleanups.push(() => raw.ws.terminate());
    const { auth } = appSdk(a).authorizeChannel(raw.socketId, channel);
    raw.send({ event: 'pusher:subscribe', data: { channel, auth, channel_data: null } });
    expect((await raw.next('pusher_internal:subscription_succeeded')).channel).toBe(channel);
    await appSdk(b).trigger(channel, 'created', { id: 1 });
    expect((await raw.next('created')).data).toEqual({ id: 1 });
  });

  it('answers a bad subscription with subscription_error on that channel, which pusher-js fires; the socket carries on', async () => {
    const [a] = await h.start(topology);
    const p = h.later(pusherClient(a));
    const badName = await nextCall<any>((cb) => p.subscribe('not a channel!').bind('pusher:subscription_error', cb), 'invalid name refused');
    expect(badName).toEqual({ type: 'InvalidChannel', error: 'pusher:subscribe: invalid channel name', status: 400 });

    const raw = await rawClient(a.port, a.config.key);
    h.cleanups.push(() => raw.ws.terminate());
    raw.send({ event: 'pusher:subscribe', data: { channel: 'presence-x', auth: 'k:s', channel_data: { user_id: 1 } } });
    const refused = await raw.next('pusher:subscription_error');
    expect(refused).toEqual({ event: 'pusher:subscription_error', channel: 'presence-x', data: { type: 'InvalidChannelData', error: 'pusher:subscribe: channel_data must be a string', status: 400 } });
    expect(raw.messages.filter((m) => m.event === 'pusher:error')).toEqual([]);

    const ok = p.subscribe('news');
    await nextCall((cb) => ok.bind('pusher:subscription_succeeded', cb), 'still subscribes');
  });
});
