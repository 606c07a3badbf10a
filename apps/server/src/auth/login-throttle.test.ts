import { describe, expect, it } from 'vitest';
import { admit, forgetAfter, type ThrottleSettings, type ThrottleState } from './login-throttle.ts';

const S: ThrottleSettings = { maxFailures: 5, windowMs: 900_000, lockMs: 60_000, maxLockMs: 3_600_000 };

/** Runs attempts that all fail, `gapMs` apart, and returns each answer. */
function failMany(n: number, gapMs: number, start = 0) {
  let state: ThrottleState | undefined;
  const answers: ({ allowed: true; lockedFor: number | null } | { allowed: false; retryAfterMs: number })[] = [];
  for (let i = 0; i < n; i++) {
    const now = start + i * gapMs;
    const a = admit(state, now, S);
    if (a.allowed) {
      state = a.next;
      answers.push({ allowed: true, lockedFor: a.next.lockedUntil === null ? null : a.next.lockedUntil - now });
    } else answers.push(a);
  }
  return { answers, state };
}

describe('login throttle', () => {
  it('lets 5 attempts through, then refuses everything for the lock (600 at 10/s: 5 checked)', () => {
    const { answers } = failMany(600, 100);
    expect(answers.filter((a) => a.allowed)).toHaveLength(5);
    expect(answers.slice(0, 4).every((a) => a.allowed && a.lockedFor === null)).toBe(true);
    expect(answers[4]).toEqual({ allowed: true, lockedFor: 60_000 });
    expect(answers[5]).toEqual({ allowed: false, retryAfterMs: 59_900 });
    // 600 attempts at 10/s span 60 s: the lock holds to the end.
    expect(answers.slice(5).every((a) => !a.allowed)).toBe(true);
  });

  it('doubles the lock with each failure after it, up to the maximum', () => {
    // One attempt just after each lock ends.
    let state: ThrottleState | undefined;
    let now = 0;
    const locks: number[] = [];
    for (let i = 0; i < 12; i++) {
      const a = admit(state, now, S);
      expect(a.allowed).toBe(true);
      if (!a.allowed) return;
      state = a.next;
      if (state.lockedUntil !== null) locks.push(state.lockedUntil - now);
      now = state.lockedUntil ?? now + 1;
    }
    expect(locks).toEqual([60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000]);
  });

  it('forgets failures a window after the last one (or after the lock ends)', () => {
    const { state } = failMany(4, 1000);
    expect(state!.failures).toBe(4);
    const later = admit(state, forgetAfter(state!, S), S);
    expect(later).toMatchObject({ allowed: true, next: { failures: 1, lockedUntil: null } });
    const sooner = admit(state, forgetAfter(state!, S) - 1, S);
    expect(sooner).toMatchObject({ allowed: true, next: { failures: 5 } });

    const locked = failMany(5, 1000).state!;
    expect(forgetAfter(locked, S)).toBe(locked.lockedUntil! + S.windowMs);
  });

  it('keeps the lock finite whatever the count', () => {
    const a = admit({ failures: 10_000, lastFailureAt: 0, lockedUntil: 1 }, 2, S);
    expect(a).toMatchObject({ allowed: true, next: { lockedUntil: 2 + S.maxLockMs } });
  });
});
