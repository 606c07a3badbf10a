import { ciNote, elapsedMs, failedTarget, formatDuration, furthestStage, headline, mergeLogs, stageState } from './deployment-status';

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

describe('elapsed time from creation', () => {
  it('counts the publish (creation to CI start) too', () => {
    const d = { created_at: '2026-01-01T09:59:50Z', started_at: '2026-01-01T10:00:00Z', finished_at: '2026-01-01T10:00:30Z' };
    expect(elapsedMs(d, 0)).toBe(40_000);
  });
});

describe('headline and CI note', () => {
  const line = "Module 'orders' deployed successfully! 🎉";
  const t = (application_id: string, status: 'failed' | 'success' | 'building', message: string | null, finished_at: string | null) => ({ application_id, status, message, finished_at });
  const partial = { status: 'failed' as const, module_slug: 'orders', targets: [t('frontend', 'success', line, '2026-01-01T10:00:05Z'), t('backend', 'failed', 'Build failed: x', '2026-01-01T10:00:03Z')] };

  it('never says a failed deployment succeeded: the failed application speaks', () => {
    expect(headline({ ...partial, message: line })).toBe('backend: Build failed: x');
    expect(headline({ ...partial, message: 'frontend deployed; waiting for the others' })).toBe('backend: Build failed: x');
    expect(headline({ ...partial, message: 'backend: Build failed: x' })).toBe('backend: Build failed: x');
    expect(headline({ ...partial, message: null, targets: [t('backend', 'failed', line, null)] })).toBe('backend: failed');
    expect(headline({ status: 'cancelled', module_slug: 'orders', message: line, targets: [] })).toBe('The deployment was cancelled.');
  });

  it('says the success line once it succeeded, and the news while it runs', () => {
    expect(headline({ status: 'success', module_slug: 'orders', message: null, targets: [] })).toBe(line);
    expect(headline({ status: 'building', module_slug: 'orders', message: 'frontend deployed; waiting for the others', targets: [] })).toBe('frontend deployed; waiting for the others');
    expect(headline({ status: 'pending', module_slug: 'orders', message: null, targets: [] })).toBe('Waiting for CI to pick up the branch…');
  });

  it('the first application to fail', () => {
    expect(failedTarget(partial.targets)?.application_id).toBe('backend');
    expect(failedTarget([t('a', 'failed', null, '2026-01-01T10:00:09Z'), t('b', 'failed', null, '2026-01-01T10:00:01Z')])?.application_id).toBe('b');
    expect(failedTarget([t('a', 'success', null, null)])).toBeUndefined();
  });

  it("shows CI's words unless they repeat the headline or claim success on a failure", () => {
    expect(ciNote({ status: 'failed', ci_message: line }, 'backend: Build failed: x')).toBeNull();
    expect(ciNote({ status: 'failed', ci_message: 'docker exited 2' }, 'backend: Build failed: x')).toBe('docker exited 2');
    expect(ciNote({ status: 'success', ci_message: 'Deployed by CI run 42' }, line)).toBe('Deployed by CI run 42');
    expect(ciNote({ status: 'success', ci_message: line }, line)).toBeNull();
  });
});
