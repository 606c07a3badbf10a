import { successMessage } from '@slipway/contracts';
import { describe, expect, it } from 'vitest';
import { deploymentMessage, firstFailed } from './deployment-summary.ts';

describe('deploymentMessage', () => {
  const line = successMessage('crashy');

  it('says the module is live only when the deployment succeeded', () => {
    expect(deploymentMessage('success', 'crashy', 'anything')).toBe(line);
    // One target's CI says the success line while another still runs (issue 11: "pending at 50 %").
    expect(deploymentMessage('pending', 'crashy', line, { applicationId: 'backend' })).toBe('backend deployed; waiting for the others');
    expect(deploymentMessage('building', 'crashy', line, { applicationId: 'backend' })).not.toBe(line);
  });

  it('keeps the news that ended a deployment that did not succeed', () => {
    expect(deploymentMessage('failed', 'crashy', line, { applicationId: 'backend', previous: 'frontend: build failed' })).toBe('frontend: build failed');
    expect(deploymentMessage('failed', 'crashy', 'frontend: build failed')).toBe('frontend: build failed');
  });

  it('speaks for the target that failed once the deployment failed, never with the success line', () => {
    const backend = { application_id: 'backend', message: 'Build failed: npm test exited 1' };
    // The frontend's success line arrives after the backend failed (issue 12, item 2).
    expect(deploymentMessage('failed', 'crashy', line, { applicationId: 'frontend', previous: 'frontend deployed; waiting for the others', failed: backend, targets: 2 })).toBe('backend: Build failed: npm test exited 1');
    expect(deploymentMessage('failed', 'crashy', 'frontend deployed; waiting for the others', { failed: { application_id: 'backend', message: null }, targets: 2 })).toBe('backend: failed');
    expect(deploymentMessage('failed', 'crashy', line, { failed: { application_id: 'backend', message: line }, targets: 2 })).toBe('backend: failed');
    // A lone application's news is its own: no name in front.
    expect(deploymentMessage('failed', 'crashy', 'Build failed: x', { failed: { application_id: 'backend', message: 'Build failed: x' }, targets: 1 })).toBe('Build failed: x');
  });
});

describe('firstFailed', () => {
  const t = (id: number, application_id: string, status: 'failed' | 'success' | 'building', finished_at: string | null) => ({ id, application_id, status, finished_at, message: null });

  it('is the target that failed first, whatever reported last', () => {
    expect(firstFailed([t(1, 'backend', 'success', '2026-01-01T00:00:02Z'), t(2, 'frontend', 'failed', '2026-01-01T00:00:03Z')])?.application_id).toBe('frontend');
    expect(firstFailed([t(1, 'backend', 'failed', '2026-01-01T00:00:05Z'), t(2, 'frontend', 'failed', '2026-01-01T00:00:03Z')])?.application_id).toBe('frontend');
    expect(firstFailed([t(1, 'backend', 'failed', '2026-01-01T00:00:03Z'), t(2, 'frontend', 'failed', '2026-01-01T00:00:03Z')])?.application_id).toBe('backend');
    expect(firstFailed([t(1, 'backend', 'building', null), t(2, 'frontend', 'success', '2026-01-01T00:00:03Z')])).toBeUndefined();
  });
});
