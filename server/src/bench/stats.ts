// Small statistics for the benchmark: percentiles by nearest rank, on copies.
export function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const round = (x: number, digits = 2): number => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

export function summary(xs: number[]): { n: number; p50: number; p95: number; p99: number; min: number; max: number } {
  return {
    n: xs.length,
    p50: round(pct(xs, 50)),
    p95: round(pct(xs, 95)),
    p99: round(pct(xs, 99)),
    min: round(Math.min(...xs)),
    max: round(Math.max(...xs)),
  };
}

export const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
