import { elapsedMs, formatDuration, furthestStage, mergeLogs, stageState } from './deployment-status';

describe('mergeLogs', () => {
  it('appends only what a newer tail adds after the overlap', () => {
    expect(mergeLogs(['a', 'b'], ['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(mergeLogs(['x', 'a', 'b'], ['a', 'b', 'c', 'd'])).toEqual(['x', 'a', 'b', 'c', 'd']);
    // The tail window starts before what we have (we only had the last lines).
    expect(mergeLogs(['b', 'c'], ['a', 'b', 'c', 'd'])).toEqual(['b', 'c', 'd']);
  });

  it('changes nothing for a repeated or empty tail', () => {
    expect(mergeLogs(['a', 'b', 'c'], ['a', 'b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(mergeLogs(['a', 'b', 'c'], ['b', 'c'])).toEqual(['a', 'b', 'c']);
    expect(mergeLogs(['a'], [])).toEqual(['a']);
    expect(mergeLogs([], ['a'])).toEqual(['a']);
  });

  it('appends a tail with no overlap and keeps at most max lines', () => {
    expect(mergeLogs(['a'], ['z'])).toEqual(['a', 'z']);
    expect(mergeLogs(['1', '2', '3'], ['3', '4', '5'], 3)).toEqual(['3', '4', '5']);
  });
});

describe('stageState', () => {
  it('marks earlier stages done, the current one current, later ones to do', () => {
    expect(['pending', 'building', 'deploying'].map((s) => stageState(s as 'pending', 'building'))).toEqual(['done', 'current', 'todo']);
    expect(stageState('deploying', 'success')).toBe('done');
    // A failure marks the stage it reached.
    expect(['pending', 'building', 'deploying'].map((s) => stageState(s as 'pending', 'failed', 'building'))).toEqual(['done', 'failed', 'todo']);
    expect(furthestStage(['pending', 'deploying', 'building', 'failed', null])).toBe('deploying');
  });
});

describe('elapsed time', () => {
  it('runs from the start to the end, or to now while running', () => {
    const d = { started_at: '2026-01-01T10:00:00Z', finished_at: null };
    expect(elapsedMs(d, Date.parse('2026-01-01T10:01:05Z'))).toBe(65_000);
    expect(elapsedMs({ ...d, finished_at: '2026-01-01T10:00:30Z' }, Date.now())).toBe(30_000);
    expect(elapsedMs({ started_at: null, finished_at: null }, 0)).toBeNull();
    expect(formatDuration(65_000)).toBe('1:05');
    expect(formatDuration(3_725_000)).toBe('1:02:05');
    expect(formatDuration(null)).toBe('—');
  });
});
