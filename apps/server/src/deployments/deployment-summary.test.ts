import { successMessage } from '@slipway/contracts';
import { describe, expect, it } from 'vitest';
import { deploymentMessage } from './deployment-summary.ts';

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
});
