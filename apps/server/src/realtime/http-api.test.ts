import { describe, expect, it } from 'vitest';
import { checkBatch, checkEvent } from './http-api.ts';

const limits = { maxEventBytes: 10 * 1024, maxEventChannels: 100, maxBatchSize: 10 };

describe('HTTP API event bodies', () => {
  it('accept channel or channels, string or JSON data, and socket_id', () => {
    expect(checkEvent({ name: 'e', channel: 'a', data: '{}' }, limits)).toEqual({ ok: true, value: { channels: ['a'], name: 'e', data: '{}', exceptSocketId: undefined, info: [] } });
    expect(checkEvent({ name: 'e', channels: ['a', 'a', 'b'], data: { x: 1 }, socket_id: '1.2', info: 'subscription_count' }, limits)).toEqual({
      ok: true,
      value: { channels: ['a', 'b'], name: 'e', data: '{"x":1}', exceptSocketId: '1.2', info: ['subscription_count'] },
    });
  });

  it("answer the protocol's statuses", () => {
    expect(checkEvent({ name: 'e', channel: 'a', data: 'x'.repeat(10 * 1024 + 1) }, limits)).toMatchObject({ ok: false, status: 413 });
    expect(checkEvent({ name: 'e', channels: Array.from({ length: 101 }, (_, i) => `c${i}`), data: '' }, limits)).toMatchObject({ ok: false, status: 400 });
    expect(checkEvent({ name: 'e', channels: ['bad name'], data: '' }, limits)).toMatchObject({ ok: false, status: 400 });
    expect(checkEvent({ channel: 'a', data: '' }, limits)).toMatchObject({ ok: false, status: 400 });
    expect(checkEvent({ name: 'e', channel: 'a', data: '', socket_id: 'x' }, limits)).toMatchObject({ ok: false, status: 400 });
    expect(checkEvent([], limits)).toMatchObject({ ok: false, status: 400 });
    expect(checkBatch({ batch: Array.from({ length: 11 }, () => ({ name: 'e', channel: 'a', data: '' })) }, limits)).toMatchObject({ ok: false, status: 400 });
    expect(checkBatch({ batch: [{ name: 'e', channel: 'a', data: 'x'.repeat(20_000) }] }, limits)).toMatchObject({ ok: false, status: 413 });
    expect(checkBatch({ batch: [{ name: 'e', channel: 'a', data: '' }] }, limits)).toMatchObject({ ok: true });
  });
});
