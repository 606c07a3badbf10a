/**
 * Who is watching a deployment (issue #15, item 11): `presence-deployment.{id}` is signed by
 * /broadcasting/auth only for users allowed to see that deployment (its owner and admins, as the
 * deployments service decides; here a stand-in with the same rule), with laravel-echo's `join`.
 */
import { describe, expect, it } from 'vitest';
import type { DeploymentAccess } from './channel-policy.ts';
import { clusterHarness } from './cluster.testing.ts';
import { echoClient, nextCall, startTestApp, USERS } from './testing.ts';

const h = clusterHarness();
/** Deployment 7 belongs to alice (user 1). */
const access: DeploymentAccess = async (user, id) => user.role === 'admin' || (id === '7' && user.id === 1);

describe('deployment presence channel', () => {
  it('shows the owner and an admin to each other, and refuses another member (403) and unknown ids', async () => {
    const t = await startTestApp({}, 0, { deploymentAccess: access });
    h.cleanups.push(() => t.close());
    const alice = h.later(echoClient(t, 'alice-token') as any);
    const here = await nextCall<any[]>((cb) => alice.join('deployment.7').here(cb), 'alice here');
    expect(here).toEqual([{ id: 1, email: USERS['alice-token']!.email }]);
    const joining = nextCall<any>((cb) => alice.join('deployment.7').joining(cb), 'admin joining');
    const admin = h.later(echoClient(t, 'admin-token') as any);
    const adminHere = await nextCall<any[]>((cb) => admin.join('deployment.7').here(cb), 'admin here');
    expect(adminHere.map((u) => u.id).sort()).toEqual([1, 3]);
    expect(await joining).toEqual({ id: 3, email: USERS['admin-token']!.email });

    const bob = h.later(echoClient(t, 'bob-token') as any);
    const refused = await nextCall<any>((cb) => bob.join('deployment.7').error(cb), 'bob refused');
    expect(refused).toMatchObject({ status: 403 });
    for (const channel of ['presence-deployment.8', 'presence-deployment.07', 'presence-deployment.x', 'presence-other']) {
      const res = await fetch(`${t.base}/broadcasting/auth`, {
        method: 'POST',
        headers: { authorization: 'Bearer alice-token', 'content-type': 'application/json' },
        body: JSON.stringify({ socket_id: '1.2', channel_name: channel }),
      });
      expect(res.status, channel).toBe(403);
    }
  });

  it('is refused to everyone when no deployment access is wired in', async () => {
    const t = await startTestApp();
    h.cleanups.push(() => t.close());
    const res = await fetch(`${t.base}/broadcasting/auth`, {
      method: 'POST',
      headers: { authorization: 'Bearer admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({ socket_id: '1.2', channel_name: 'presence-deployment.7' }),
    });
    expect(res.status).toBe(403);
  });
});
