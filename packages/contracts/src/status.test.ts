import { describe, expect, it } from 'vitest';
import { aggregateProgress, aggregateStatus, transition } from './status.ts';
import { mapCiStatus, moduleSlugFromBranch } from './ci-report.ts';

describe('status machine', () => {
  it('moves forward only and absorbs terminal states', () => {
    expect(transition('pending', 'building')).toBe('advance');
    expect(transition('pending', 'success')).toBe('advance');
    expect(transition('deploying', 'building')).toBe('ignore');
    expect(transition('building', 'building')).toBe('same');
    expect(transition('success', 'failed')).toBe('ignore');
    expect(transition('failed', 'failed')).toBe('ignore');
  });

  it('aggregates targets: failed wins, success needs all, else the least advanced', () => {
    expect(aggregateStatus(['success', 'failed'])).toBe('failed');
    expect(aggregateStatus(['success', 'success'])).toBe('success');
    expect(aggregateStatus(['success', 'building'])).toBe('building');
    expect(aggregateStatus(['deploying', 'pending', 'success'])).toBe('pending');
    expect(aggregateStatus(['success', 'cancelled'])).toBe('cancelled');
    expect(aggregateStatus([])).toBe('pending');
    expect(aggregateProgress([{ status: 'success', progress: 100 }, { status: 'building', progress: 30 }])).toBe(65);
    expect(aggregateProgress([{ status: 'failed', progress: 100 }, { status: 'building', progress: 30 }])).toBe(100);
  });

  it('maps CI words', () => {
    expect(mapCiStatus('running')).toBe('building');
    expect(mapCiStatus('running', 'deploy')).toBe('deploying');
    expect(mapCiStatus('done')).toBe('success');
    expect(mapCiStatus('done', undefined, { awaitConfirmation: true })).toBe('deploying');
    expect(mapCiStatus('error')).toBe('failed');
    expect(mapCiStatus('cancelled')).toBe('cancelled');
  });

  it('reads the module slug from module/<slug> branches only', () => {
    expect(moduleSlugFromBranch('module/products')).toBe('products');
    expect(moduleSlugFromBranch('main')).toBeUndefined();
    expect(moduleSlugFromBranch('module/Bad_Name')).toBeUndefined();
  });
});
