/**
 * A token bucket: `burst` messages at once, refilled at `ratePerSecond`. Two numbers per
 * connection, no timers, so it costs nothing at thousands of connections.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number = Date.now(),
  ) {
    this.tokens = burst;
    this.refilledAt = now;
  }

  /** True once it has refilled to its burst: a bucket in that state can be forgotten and made anew. */
  isFull(now: number = Date.now()): boolean {
    return this.tokens + ((now - this.refilledAt) * this.ratePerSecond) / 1000 >= this.burst;
  }

  take(now: number = Date.now()): boolean {
    const elapsed = now - this.refilledAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSecond) / 1000);
      this.refilledAt = now;
    }
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
