/**
 * Per-account sign-in throttle, pure: what an attempt may do given the account's recent failures.
 *
 * An attempt is counted *before* the password is checked (and the count cleared when it was right),
 * so a burst of parallel guesses cannot slip past the limit while the first ones are being hashed.
 * After `maxFailures` failures within `windowMs` the account is locked for `lockMs`; every further
 * failure right after a lock doubles it, up to `maxLockMs`. While locked, attempts are refused
 * without looking at the password, so the answer is the same whether it was right or not.
 */

export interface ThrottleSettings {
  maxFailures: number;
  /** Failures older than this (counted from the last failure or the end of the lock) are forgotten. */
  windowMs: number;
  /** First lock; doubles with each failure after it. */
  lockMs: number;
  maxLockMs: number;
}

/** Times in epoch milliseconds. */
export interface ThrottleState {
  failures: number;
  lastFailureAt: number;
  lockedUntil: number | null;
}

export type Admission = { allowed: false; retryAfterMs: number } | { allowed: true; next: ThrottleState };

/** The moment from which a state no longer matters and its row may be deleted. */
export function forgetAfter(state: ThrottleState, s: ThrottleSettings): number {
  return Math.max(state.lastFailureAt, state.lockedUntil ?? 0) + s.windowMs;
}

export function lockDuration(failures: number, s: ThrottleSettings): number {
  // Exponent capped so 2 ** n stays finite whatever the count.
  return Math.min(s.lockMs * 2 ** Math.min(failures - s.maxFailures, 40), s.maxLockMs);
}

/**
 * Whether an attempt may check its password now, and if so the state to store for it (counted as a
 * failure until the password proves right). A state past `forgetAfter` counts as none.
 */
export function admit(state: ThrottleState | undefined, now: number, s: ThrottleSettings): Admission {
  if (state?.lockedUntil != null && state.lockedUntil > now) return { allowed: false, retryAfterMs: state.lockedUntil - now };
  const before = state && now < forgetAfter(state, s) ? state.failures : 0;
  const failures = before + 1;
  return {
    allowed: true,
    next: { failures, lastFailureAt: now, lockedUntil: failures >= s.maxFailures ? now + lockDuration(failures, s) : null },
  };
}
