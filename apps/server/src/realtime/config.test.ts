import { describe, expect, it } from 'vitest';
import { readRealtimeConfig } from './config.ts';

describe('realtime configuration', () => {
  it('defaults to the embedded server with a generated secret and Laravel’s user channel', () => {
    const c = readRealtimeConfig({});
    expect(c).toMatchObject({ driver: 'embedded', appId: 'slipway', key: 'slipway-key', secretGenerated: true, userChannelPattern: 'private-App.Models.User.{id}', activityTimeout: 120 });
    expect(c.secret).not.toBe(readRealtimeConfig({}).secret);
  });

  it('picks redis with REDIS_URL and external with PUSHER_HOST, both needing the shared secret', () => {
    expect(() => readRealtimeConfig({ REDIS_URL: 'redis://127.0.0.1:6379' })).toThrow(/PUSHER_APP_SECRET/);
    expect(readRealtimeConfig({ REDIS_URL: 'redis://x', PUSHER_APP_SECRET: 'long-enough-secret' }).driver).toBe('redis');
    const ext = readRealtimeConfig({ PUSHER_HOST: 'soketi.internal', PUSHER_PORT: '6001', PUSHER_SCHEME: 'http', PUSHER_APP_SECRET: 'long-enough-secret', PUSHER_APP_KEY: 'k' });
    expect(ext).toMatchObject({ driver: 'external', host: 'soketi.internal', port: 6001, scheme: 'http', key: 'k' });
  });

  it('reads limits and refuses nonsense', () => {
    expect(readRealtimeConfig({ REALTIME_MAX_CONNECTIONS: '5000', REALTIME_CLIENT_EVENTS: 'true', REALTIME_USER_CHANNEL_PATTERN: 'private-users.{id}' })).toMatchObject({
      maxConnections: 5000,
      clientEvents: true,
      userChannelPattern: 'private-users.{id}',
    });
    expect(() => readRealtimeConfig({ REALTIME_USER_CHANNEL_PATTERN: 'private-users' })).toThrow();
    expect(readRealtimeConfig({})).toMatchObject({ maxConnectionsPerAddress: 100, connectionRatePerAddress: 10, connectionBurstPerAddress: 100, subscribeTimeout: 60, authRatePerMinute: 60 });
    const perAddress = {
      REALTIME_MAX_CONNECTIONS_PER_IP: '5',
      REALTIME_CONNECTION_RATE_PER_IP: '2',
      REALTIME_CONNECTION_BURST_PER_IP: '4',
      REALTIME_SUBSCRIBE_TIMEOUT_SECONDS: '30',
      REALTIME_AUTH_RATE_PER_MINUTE: '10',
    };
    expect(readRealtimeConfig(perAddress)).toMatchObject({ maxConnectionsPerAddress: 5, connectionRatePerAddress: 2, connectionBurstPerAddress: 4, subscribeTimeout: 30, authRatePerMinute: 10 });
    expect(() => readRealtimeConfig({ REALTIME_MAX_CONNECTIONS_PER_IP: '0' })).toThrow();
    expect(() => readRealtimeConfig({ PUSHER_SCHEME: 'ftp' })).toThrow();
  });

  it('reads the protocol-complete settings (issue 15) with their defaults, and refuses bad ones', () => {
    expect(readRealtimeConfig({})).toMatchObject({ corsOrigins: [], maxPresenceMembers: 100, maxPresenceUserInfoBytes: 1024, cacheTtlSeconds: 1800, signinTimeout: 0, webhookUrl: null, webhookBatchMs: 1000, webhookMaxAttempts: 5, webhookRetryBaseMs: 1000 });
    const env = {
      REALTIME_CORS_ORIGINS: 'https://a.example.test, http://localhost:4200/',
      REALTIME_MAX_PRESENCE_MEMBERS: '500',
      REALTIME_MAX_PRESENCE_USER_INFO_BYTES: '2048',
      REALTIME_CACHE_TTL_SECONDS: '60',
      REALTIME_SIGNIN_TIMEOUT_SECONDS: '30',
      REALTIME_WEBHOOK_URL: 'https://app.example.test/pusher/webhook',
      REALTIME_WEBHOOK_BATCH_MS: '250',
      REALTIME_WEBHOOK_MAX_ATTEMPTS: '3',
      REALTIME_WEBHOOK_RETRY_BASE_MS: '500',
    };
    expect(readRealtimeConfig(env)).toMatchObject({
      corsOrigins: ['https://a.example.test', 'http://localhost:4200'],
      maxPresenceMembers: 500,
      maxPresenceUserInfoBytes: 2048,
      cacheTtlSeconds: 60,
      signinTimeout: 30,
      webhookUrl: 'https://app.example.test/pusher/webhook',
      webhookBatchMs: 250,
      webhookMaxAttempts: 3,
      webhookRetryBaseMs: 500,
    });
    expect(() => readRealtimeConfig({ REALTIME_CORS_ORIGINS: '*' })).toThrow();
    expect(() => readRealtimeConfig({ REALTIME_CORS_ORIGINS: 'https://a.example.test/path' })).toThrow();
    expect(() => readRealtimeConfig({ REALTIME_WEBHOOK_URL: 'ftp://x' })).toThrow();
  });
});
