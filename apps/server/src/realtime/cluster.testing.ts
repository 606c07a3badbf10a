/**
 * Every protocol feature is tested on one instance and on two instances sharing a real Redis
 * server: `topologies()` gives both, as a pair of servers ([a, a] for one instance), so a test
 * connects one client to `a` and another to `b` and means the same thing in both.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startRedis, type RedisServer } from '../test-support/redis.ts';
import type { RealtimeConfigInput } from './config.ts';
import { startTestApp, TEST_SECRET, type TestApp } from './testing.ts';

export type Topology = 'one instance' | 'two instances with Redis';
export const TOPOLOGIES: Topology[] = ['one instance', 'two instances with Redis'];

/** Registers the file's hooks: a Redis server for the file, and cleanups after each test. */
export function clusterHarness() {
  let redis: RedisServer | undefined;
  const cleanups: (() => unknown)[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    cleanups,
    redisUrl: () => redis!.url,
    /** Something to close after the test. */
    later<T extends { disconnect?: () => void; close?: () => unknown }>(x: T): T {
      cleanups.push(() => (x.disconnect ? x.disconnect() : x.close?.()));
      return x;
    },
    async start(topology: Topology, overrides: Partial<RealtimeConfigInput> = {}): Promise<[TestApp, TestApp]> {
      if (topology === 'one instance') {
        const a = await startTestApp(overrides);
        cleanups.push(() => a.close());
        return [a, a];
      }
      const one = () => startTestApp({ driver: 'redis', redisUrl: redis!.url, secret: TEST_SECRET, ...overrides });
      const a = await one();
      cleanups.push(() => a.close());
      const b = await one();
      cleanups.push(() => b.close());
      return [a, b];
    },
  };
}

/** A channel name no other test uses (Redis keeps presence and cache state between tests). */
export const unique = (prefix: string) => `${prefix}${randomUUID().slice(0, 8)}`;
