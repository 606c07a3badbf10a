/**
 * The deployment presence channel in the whole Slipway server (issue #15, item 11), on both
 * databases: /broadcasting/auth asks the deployments service who may see a deployment, so its
 * owner and admins watch it together through real pusher-js, and another member is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, DIALECTS, startTestServer, type TestServer } from '../test-support/server.ts';
import { nextCall, PusherJs } from './testing.ts';

describe.each(DIALECTS)('presence-deployment.{id} in Slipway on %s', (dialect) => {
  let s: TestServer;
  const tokens: Record<string, string> = {};
  let deploymentId: string;
  const clients: PusherJs[] = [];

  beforeAll(async () => {
    s = await startTestServer(dialect);
    const { auth, deployments, database } = s.ctx;
    await auth.addUser('alice@example.com', 'alice-password', 'member');
    await auth.addUser('bob@example.com', 'bob-password', 'member');
    for (const email of [ADMIN.email, 'alice@example.com', 'bob@example.com']) tokens[email] = await auth.createToken(email, 'test');
    const alice = (await database.db.selectFrom('users').select('id').where('email', '=', 'alice@example.com').executeTakeFirstOrThrow()).id;
    const d = await deployments.create(database.db, { moduleSlug: 'products', branch: 'module/products', commit: 'aaa111', ownerId: alice, targets: [{ applicationId: 'backend', commitSha: 'aaa111' }] }, new Date().toISOString());
    deploymentId = d.deploymentId;
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await s?.close();
  });

  async function watch(email: string) {
    const { realtime } = (await (await fetch(`${s.url}/api/config`)).json()) as { realtime: { key: string } };
    const p = new PusherJs(realtime.key, {
      cluster: 'mt1',
      wsHost: '127.0.0.1',
      wsPort: Number(new URL(s.url).port),
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
      channelAuthorization: { endpoint: `${s.url}/broadcasting/auth`, transport: 'ajax', headers: { Authorization: `Bearer ${tokens[email]}` } },
    });
    clients.push(p);
    return p.subscribe(`presence-deployment.${deploymentId}`) as any;
  }

  it('lets the owner and an admin watch together, and refuses a member who may not see the deployment', async () => {
    const alice = await watch('alice@example.com');
    const aliceIn = await nextCall<any>((cb) => alice.bind('pusher:subscription_succeeded', cb), 'owner in');
    expect(aliceIn.me.info).toEqual({ id: aliceIn.me.info.id, email: 'alice@example.com' });
    const joined = nextCall<any>((cb) => alice.bind('pusher:member_added', cb), 'admin joins');
    const admin = await watch(ADMIN.email);
    const adminIn = await nextCall<any>((cb) => admin.bind('pusher:subscription_succeeded', cb), 'admin in');
    expect(adminIn.count).toBe(2);
    expect((await joined).info.email).toBe(ADMIN.email);
    const bob = await watch('bob@example.com');
    const refused = await nextCall<any>((cb) => bob.bind('pusher:subscription_error', cb), 'bob refused');
    expect(refused.status).toBe(403);
  });
});
