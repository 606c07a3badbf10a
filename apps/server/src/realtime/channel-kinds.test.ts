/**
 * Encrypted and cache channels (issue #15, items 7 and 8) with the real pusher-js and `pusher` SDK,
 * on one instance and on two with Redis.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { clusterHarness, TOPOLOGIES, unique } from './cluster.testing.ts';
import { appAuthClient, appSdk, nextCall, pusherClient, rawClient } from './testing.ts';

const h = clusterHarness();
const masterKey = randomBytes(32).toString('base64');

describe.each(TOPOLOGIES)('encrypted channels, %s', (topology) => {
  it('are authorised like private ones and relay the ciphertext untouched: pusher-js decrypts what the SDK encrypted', async () => {
    const [a, b] = await h.start(topology);
    const channel = unique('private-encrypted-vault-');
    const p = h.later(appAuthClient(b, { id: '1' }, {}, { encryptionMasterKeyBase64: masterKey }));
    const ch = p.subscribe(channel);
    await nextCall((cb) => ch.bind('pusher:subscription_succeeded', cb), 'subscribed');
    // A raw socket, signed in the same way, sees exactly the bytes the SDK sent: nonce and ciphertext.
    const raw = await rawClient(b.port, b.config.key);
    h.cleanups.push(() => raw.ws.terminate());
    raw.send({ event: 'pusher:subscribe', data: { channel, auth: appSdk(b, { encryptionMasterKeyBase64: masterKey }).authorizeChannel(raw.socketId, channel).auth } });
    await raw.next('pusher_internal:subscription_succeeded');

    const got = nextCall<any>((cb) => ch.bind('secret', cb), 'decrypted event');
    await appSdk(a, { encryptionMasterKeyBase64: masterKey }).trigger(channel, 'secret', { pin: 1234 });
    expect(await got).toEqual({ pin: 1234 });
    const onWire = (await raw.next('secret')).data;
    expect(Object.keys(onWire).sort()).toEqual(['ciphertext', 'nonce']);
    expect(JSON.stringify(onWire)).not.toContain('1234');
  });

  it('refuse a subscription without a valid signature, and client events', async () => {
    const [a] = await h.start(topology, { clientEvents: true });
    const channel = unique('private-encrypted-x-');
    const raw = await rawClient(a.port, a.config.key);
    h.cleanups.push(() => raw.ws.terminate());
    raw.send({ event: 'pusher:subscribe', data: { channel, auth: `${a.config.key}:${'0'.repeat(64)}` } });
    expect((await raw.next('pusher:subscription_error')).data).toMatchObject({ type: 'AuthError', status: 401 });
    raw.send({ event: 'pusher:subscribe', data: { channel, auth: appSdk(a, { encryptionMasterKeyBase64: masterKey }).authorizeChannel(raw.socketId, channel).auth } });
    await raw.next('pusher_internal:subscription_succeeded');
    raw.send({ event: 'client-x', channel, data: {} });
    raw.send({ event: 'pusher:ping', data: {} });
    await raw.next('pusher:pong');
    expect(raw.messages.filter((m) => m.event === 'pusher:error').map((m) => m.data.message)).toEqual(['Client events are not supported on encrypted channels']);
  });
});

describe.each(TOPOLOGIES)('cache channels, %s', (topology) => {
  it('send pusher:cache_miss to the first subscriber, then replay the last event to each new one', async () => {
    const [a, b] = await h.start(topology);
    for (const prefix of ['cache-', 'private-cache-', 'presence-cache-']) {
      const channel = unique(`${prefix}scores-`);
      const first = h.later(appAuthClient(a, { id: '1' }));
      const ch = first.subscribe(channel);
      await nextCall((cb) => ch.bind('pusher:cache_miss', cb), `${prefix} cache miss`);
      await appSdk(a).trigger(channel, 'score', { n: 1 });
      await appSdk(b).trigger(channel, 'score', { n: 2 });
      const later = h.later(appAuthClient(b, { id: '2' }));
      const ch2 = later.subscribe(channel);
      const replayed = await nextCall<any>((cb) => ch2.bind('score', cb), `${prefix} replay`);
      expect(replayed).toEqual({ n: 2 });
    }
  });

  it('forget the last event after REALTIME_CACHE_TTL_SECONDS', async () => {
    const [a, b] = await h.start(topology, { cacheTtlSeconds: 1 });
    const channel = unique('cache-brief-');
    await appSdk(a).trigger(channel, 'tick', { n: 1 });
    await new Promise((r) => setTimeout(r, 1_200));
    const p = h.later(pusherClient(b));
    await nextCall((cb) => p.subscribe(channel).bind('pusher:cache_miss', cb), 'cache miss after the TTL');
  });
});
