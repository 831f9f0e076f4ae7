// Per-client creation rate: a token bucket per client address, refilled continuously.
import { readFileSync } from 'node:fs';
import { availableParallelism, freemem } from 'node:os';

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

// The machine's limits for work done ahead of learners (the warm pool): memory left, cores.

/** the memory a new sandbox can still get: MemAvailable of /proc/meminfo, os.freemem() elsewhere */
export function memAvailableBytes(): number {
  try {
    const m = /^MemAvailable:\s+(\d+) kB$/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return freemem();
}

/** below this much available memory the pool prepares nothing (learners' sessions come first) */
export const POOL_MIN_FREE_BYTES = 1024 ** 3;

/** why no sandbox should be prepared ahead of learners now, or undefined when one may */
export function machineHeadroom(minFreeBytes = POOL_MIN_FREE_BYTES, available = memAvailableBytes()): string | undefined {
  if (available < minFreeBytes) {
    return `only ${Math.round(available / 1024 ** 2)} MiB of memory available (the pool keeps ${Math.round(minFreeBytes / 1024 ** 2)} MiB free for live sessions)`;
  }
  return undefined;
}

/** sandboxes prepared at once: creating one is CPU-bound (container start, setup execs), so about one per two cores, 1 to 4 */
export function refillConcurrency(cpus = availableParallelism()): number {
  return Math.min(4, Math.max(1, Math.floor(cpus / 2)));
}
