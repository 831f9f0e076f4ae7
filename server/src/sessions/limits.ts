// Per-client creation rate: a token bucket per client address, refilled continuously.
export class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    /** bucket size: how many creations may happen in a burst */
    readonly burst: number,
    /** refill: creations per minute */
    readonly perMinute: number,
  ) {}

  /** consumes one token; returns 0 when allowed, else the seconds until one is available */
  take(client: string, now = Date.now()): number {
    if (this.perMinute <= 0) return 0;
    const b = this.buckets.get(client) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 60_000) * this.perMinute);
    b.at = now;
    this.buckets.set(client, b);
    if (this.buckets.size > 10_000) this.prune(now);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) / this.perMinute) * 60);
  }

  private prune(now: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + ((now - b.at) / 60_000) * this.perMinute >= this.burst) this.buckets.delete(k);
  }
}
