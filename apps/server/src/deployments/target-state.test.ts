import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { statusRank, type DeploymentStatus } from '@slipway/contracts';
import { applyReport, newTargetState, type TargetReport, type TargetState } from './target-state.ts';
import { summarize } from './deployment-summary.ts';

const NOW = '2026-01-01T00:00:00.000Z';

function fold(reports: TargetReport[]): { state: TargetState; ranks: number[] } {
  let state = newTargetState();
  const ranks = [statusRank(state.status)];
  for (const r of reports) {
    const o = applyReport(state, r, NOW);
    if (o.kind === 'changed') state = o.next;
    ranks.push(statusRank(state.status));
  }
  return { state, ranks };
}

/** A valid delivery sequence as CI sends it: running (build), running (deploy), then one ending. */
const orderedSequence = fc
  .record({
    building: fc.array(fc.integer({ min: 30, max: 69 }), { maxLength: 3 }),
    deploying: fc.array(fc.integer({ min: 70, max: 99 }), { maxLength: 3 }),
    end: fc.constantFrom<DeploymentStatus | null>('success', 'failed', 'cancelled', null),
  })
  .map(({ building, deploying, end }) => {
    const seq: TargetReport[] = [
      { status: 'building' },
      ...building.map((progress) => ({ status: 'building' as const, progress })),
      { status: 'deploying' },
      ...deploying.map((progress) => ({ status: 'deploying' as const, progress })),
    ];
    if (end) seq.push({ status: end, message: end });
    return seq;
  });

/** The same deliveries, reordered, some repeated (re-delivery), some held back (delay = reorder). */
const disturbed = orderedSequence.chain((seq) =>
  fc
    .tuple(fc.shuffledSubarray(seq, { minLength: seq.length, maxLength: seq.length }), fc.array(fc.nat({ max: seq.length - 1 }), { maxLength: 4 }))
    .map(([shuffled, dupIdx]) => ({ seq, disturbed: [...shuffled, ...dupIdx.map((i) => seq[i]!)] })),
);

describe('target status machine', () => {
  it('any permutation, duplication or delay of a valid sequence ends where the ordered one does', () => {
    fc.assert(
      fc.property(disturbed, ({ seq, disturbed }) => {
        const a = fold(seq).state;
        const b = fold(disturbed).state;
        expect({ status: b.status, progress: b.progress }).toEqual({ status: a.status, progress: a.progress });
      }),
      { numRuns: 500 },
    );
  });

  it('never moves a target backwards', () => {
    fc.assert(
      fc.property(disturbed, ({ disturbed }) => {
        const { ranks } = fold(disturbed);
        ranks.forEach((r, i) => i > 0 && expect(r).toBeGreaterThanOrEqual(ranks[i - 1]!));
      }),
      { numRuns: 500 },
    );
  });

  it('absorbs everything after a terminal state and says why', () => {
    const done = fold([{ status: 'building' }, { status: 'success' }]).state;
    const late = applyReport(done, { status: 'building', message: 'late' }, NOW);
    expect(late).toEqual({ kind: 'ignored', reason: 'target already success' });
    const back = applyReport({ ...done, status: 'deploying', finishedAt: null }, { status: 'building' }, NOW);
    expect(back.kind).toBe('ignored');
  });

  it('records start and finish times and keeps the first external id and commit', () => {
    const s = fold([
      { status: 'building', externalId: 'gh-1', commitSha: 'abc' },
      { status: 'success', externalId: 'gh-2', commitSha: 'def', url: 'http://x' },
    ]).state;
    expect(s).toMatchObject({ status: 'success', progress: 100, externalId: 'gh-1', commitSha: 'abc', url: 'http://x', startedAt: NOW, finishedAt: NOW });
  });

  it('keeps progress within its stage', () => {
    expect(fold([{ status: 'building', progress: 95 }]).state.progress).toBe(69);
    expect(fold([{ status: 'deploying', progress: 10 }]).state.progress).toBe(70);
  });

  it('summarises a deployment from its targets', () => {
    const t = (status: DeploymentStatus, startedAt: string | null, finishedAt: string | null, progress = 0) => ({ status, progress, startedAt, finishedAt });
    expect(summarize([t('success', 'a', 'c', 100), t('building', 'b', null, 30)])).toEqual({ status: 'building', progress: 65, startedAt: 'a', finishedAt: null });
    expect(summarize([t('success', 'a', 'c', 100), t('success', 'b', 'd', 100)])).toEqual({ status: 'success', progress: 100, startedAt: 'a', finishedAt: 'd' });
  });
});

describe('CI run attempts (a "Re-run" keeps the run id)', () => {
  const failed = fold([
    { status: 'building', runAttempt: 1 },
    { status: 'failed', runAttempt: 1, message: 'tests failed' },
  ]).state;

  it('a later attempt starts a finished target over; its own reports then move it forward', () => {
    const o = applyReport(failed, { status: 'building', runAttempt: 2 }, NOW);
    expect(o).toMatchObject({ kind: 'changed', statusChanged: true, next: { status: 'building', runAttempt: 2, finishedAt: null, progress: 30 } });
    const done = applyReport((o as { next: TargetState }).next, { status: 'success', runAttempt: 2 }, NOW);
    expect(done).toMatchObject({ kind: 'changed', next: { status: 'success', runAttempt: 2 } });
  });

  it("an earlier attempt's report, or one without an attempt, leaves a finished target as it is", () => {
    const later = (applyReport(failed, { status: 'building', runAttempt: 3 }, NOW) as { next: TargetState }).next;
    expect(applyReport(later, { status: 'failed', runAttempt: 2 }, NOW)).toMatchObject({ kind: 'ignored', reason: expect.stringContaining('attempt 2') });
    expect(applyReport(failed, { status: 'building' }, NOW).kind).toBe('ignored');
  });

  it('the first attempt a fresh target hears of is recorded, not a restart', () => {
    const o = applyReport(newTargetState(), { status: 'building', runAttempt: 4 }, NOW);
    expect(o).toMatchObject({ kind: 'changed', next: { status: 'building', runAttempt: 4 } });
  });
});
