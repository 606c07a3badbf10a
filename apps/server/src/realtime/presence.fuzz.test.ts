/**
 * Fuzz: client messages a socket may send about presence, sign-in and user channels, none of them
 * validly signed (random or forged `auth`, random `channel_data` and `user_data`, `null`s, wrong
 * types), to a real server on Redis-free and Redis topologies alike. Whatever arrives: the socket
 * gets answers (never a 1011), the server stays up, nobody becomes a member or a signed-in user,
 * and no event reaches a watcher. `npm run fuzz` raises the count (SLIPWAY_FUZZ_RUNS).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzRuns } from '../test-support/fuzz.ts';
import { clusterHarness, TOPOLOGIES, unique } from './cluster.testing.ts';
import { appAuthClient, appSdk, nextCall, rawClient } from './testing.ts';

const h = clusterHarness();

const json = fc.oneof(fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)), fc.string({ maxLength: 40 }));
const anything = fc.oneof(fc.constant(null), fc.constant(undefined), fc.integer(), fc.boolean(), json, fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }));
const auth = fc.oneof(anything, fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `slipway-key:${Buffer.from(b).toString('hex')}`), fc.constant('slipway-key:'));
const channelData = fc.oneof(
  anything,
  fc.record({ user_id: fc.oneof(fc.string({ maxLength: 10 }), fc.integer(), fc.constant(null)), user_info: fc.jsonValue({ maxDepth: 2 }) }).map((v) => JSON.stringify(v)),
);

function messages(room: string) {
  return fc.array(
    fc.oneof(
      fc.record({ event: fc.constant('pusher:subscribe'), data: fc.record({ channel: fc.oneof(fc.constant(room), fc.constant('#server-to-user-1'), fc.constant('presence-cache-x'), fc.string({ maxLength: 20 })), auth, channel_data: channelData }, { requiredKeys: ['channel'] }) }),
      fc.record({ event: fc.constant('pusher:signin'), data: fc.oneof(anything, fc.record({ auth, user_data: fc.oneof(anything, fc.record({ id: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()) }).map((v) => JSON.stringify(v))) })) }),
      fc.record({ event: fc.constant('pusher:unsubscribe'), data: fc.record({ channel: fc.oneof(fc.constant(room), fc.string({ maxLength: 20 })) }) }),
      fc.record({ event: fc.constantFrom('client-x', 'pusher:subscribe', 'pusher:signin'), channel: fc.constant(room), data: anything }),
    ),
    { minLength: 1, maxLength: 8 },
  );
}

describe.each(TOPOLOGIES)('unsigned presence and sign-in messages, %s', (topology) => {
  it('change no member list, sign nobody in, and never fail a socket or the server', async () => {
    // The per-socket message rate is not under test here: lifted, so every case reaches the handlers.
    const [a, b] = await h.start(topology, { clientEvents: true, messageRate: 100_000, messageBurst: 100_000 });
    const room = unique('presence-fuzz-');
    const watcher = h.later(appAuthClient(b, { id: 'watcher' }));
    const ch = watcher.subscribe(room);
    await nextCall((cb) => ch.bind('pusher:subscription_succeeded', cb), 'watcher in');
    const heard: string[] = [];
    ch.bind_global((name: string) => {
      if (name !== 'pusher:subscription_succeeded') heard.push(name);
    });
    const raw = await rawClient(a.port, a.config.key);
    h.cleanups.push(() => raw.ws.terminate());

    await fc.assert(
      fc.asyncProperty(messages(room), async (msgs) => {
        for (const m of msgs) raw.send(m);
        raw.send({ event: 'pusher:ping', data: {} });
        await raw.next('pusher:pong');
      }),
      { numRuns: fuzzRuns(40) },
    );
    expect(raw.ws.readyState).toBe(raw.ws.OPEN);
    expect(raw.messages.filter((m) => m.event === 'pusher:signin_success')).toEqual([]);
    expect(raw.messages.filter((m) => m.event === 'pusher_internal:subscription_succeeded' && m.channel === room)).toEqual([]);
    const users = await (await appSdk(a).get({ path: `/channels/${room}/users` })).json();
    expect(users).toEqual({ users: [{ id: 'watcher' }] });
    expect(heard).toEqual([]);
    // Both servers still serve.
    for (const t of [a, b]) expect((await fetch(`${t.base}/api/config`)).status).toBe(200);
  });
});
