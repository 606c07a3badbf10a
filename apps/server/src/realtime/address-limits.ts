import { TokenBucket } from './rate-limiter.ts';

export interface AddressLimitsConfig {
  maxConnectionsPerAddress: number;
  connectionRatePerAddress: number;
  connectionBurstPerAddress: number;
}

/**
 * Per client address: how many sockets are open, and a token bucket of new connection attempts.
 * Only addresses with open sockets or a bucket still refilling are held, so the maps shrink back
 * on their own (`sweep`). No timers, no I/O: the server calls it and tests drive the clock.
 */
export class AddressLimits {
  private readonly open = new Map<string, number>();
  private readonly attempts = new Map<string, TokenBucket>();

  constructor(private readonly limits: AddressLimitsConfig) {}

  /** Counts one connection attempt; false when the address is over its rate. */
  attempt(address: string, now: number = Date.now()): boolean {
    let bucket = this.attempts.get(address);
    if (!bucket) {
      bucket = new TokenBucket(this.limits.connectionRatePerAddress, this.limits.connectionBurstPerAddress, now);
      this.attempts.set(address, bucket);
    }
    return bucket.take(now);
  }

  /** Takes one of the address's connection slots; false when it holds them all. */
  acquire(address: string): boolean {
    const n = this.open.get(address) ?? 0;
    if (n >= this.limits.maxConnectionsPerAddress) return false;
    this.open.set(address, n + 1);
    return true;
  }

  release(address: string): void {
    const n = this.open.get(address) ?? 0;
    if (n <= 1) this.open.delete(address);
    else this.open.set(address, n - 1);
  }

  openCount(address: string): number {
    return this.open.get(address) ?? 0;
  }

  /** Forgets buckets that have refilled: a new one would be identical. */
  sweep(now: number = Date.now()): void {
    for (const [address, bucket] of this.attempts) if (bucket.isFull(now)) this.attempts.delete(address);
  }

  get trackedAddresses(): number {
    return new Set([...this.open.keys(), ...this.attempts.keys()]).size;
  }
}
