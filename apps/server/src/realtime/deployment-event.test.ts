import { describe, expect, it } from 'vitest';
import { deploymentEvent, fitPayload } from './deployment-event.ts';
import { sampleChange } from './testing.ts';

const policy = { userChannelPattern: 'private-App.Models.User.{id}', adminChannel: 'private-deployments' };

describe('deployment events', () => {
  it("go to the owner's channel and the admins' channel, named as Echo listens for them", () => {
    const ev = deploymentEvent(policy, 10_240, sampleChange(5, 9));
    expect(ev.channels).toEqual(['private-App.Models.User.5', 'private-deployments']);
    expect(ev.name).toBe('deployment.status-updated');
    expect(ev.payload.sequence).toBe(9);
    expect(deploymentEvent(policy, 10_240, sampleChange(null)).channels).toEqual(['private-deployments']);
  });

  it('stay within the data limit by dropping the oldest log lines first', () => {
    const logs = Array.from({ length: 500 }, (_, i) => `line ${i} ${'x'.repeat(40)}`);
    const fitted = fitPayload(sampleChange(1, 1, { logs }).payload, 10_240);
    expect(Buffer.byteLength(JSON.stringify(fitted))).toBeLessThanOrEqual(10_240);
    expect(fitted.logs.at(-1)).toBe(logs.at(-1));
    expect(fitted.logs[0]).toMatch(/earlier log lines omitted/);
    const small = sampleChange(1).payload;
    expect(fitPayload(small, 10_240)).toBe(small);
  });
});
