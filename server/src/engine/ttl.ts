// One way to cache what is probed from the outside world (the engine's facts, what a provider can
// run): a result is kept for a time-to-live, callers that ask at the same time share one probe, and
// a result judged failed (or a rejection) is not kept, so the next call probes again and a host
// heals on its own once the engine is back.
export interface TtlCache<T> {
  /** the value, at most `maxAgeMs` (default: the time-to-live) old */
  (opts?: { maxAgeMs?: number }): Promise<T>;
  /** forget the cached value */
  reset(): void;
}

export interface TtlOptions<T> {
  ttlMs: number;
  /** false: the result says more about the probe than about the host; it is returned, not kept */
  keep?: (value: T) => boolean;
  /** the clock (tests) */
  now?: () => number;
}

export function ttlCache<T>(probe: () => Promise<T>, opts: TtlOptions<T>): TtlCache<T> {
  const now = opts.now ?? Date.now;
  const keep = opts.keep ?? (() => true);
  let cached: { at: number; value: T } | undefined;
  let inFlight: Promise<T> | undefined;
  const get = ((o: { maxAgeMs?: number } = {}) => {
    if (cached && now() - cached.at < (o.maxAgeMs ?? opts.ttlMs)) return Promise.resolve(cached.value);
    inFlight ??= probe()
      .then((value) => {
        cached = keep(value) ? { at: now(), value } : undefined;
        return value;
      })
      .finally(() => (inFlight = undefined));
    return inFlight;
  }) as TtlCache<T>;
  get.reset = () => (cached = undefined);
  return get;
}
