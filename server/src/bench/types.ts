// The shape of the benchmark's results (bench/results/*.json).
import type { Machine } from './machine.js';

export interface Counts {
  /** session-ready samples, cold and warm each */
  ready: number;
  /** seconds of arrivals at one new session per second against the warm pool */
  arrivals: number;
  echo: number;
  /** MiB of /dev/zero fed to base64 */
  throughputMiB: number;
  check: number;
  /** idle sessions held at once (also the host-wide cost per session, beside as many bare containers) */
  density: number;
  /** learners pressing Start within `classWindowS` seconds against the warm pool of the default size */
  class: number;
  classWindowS: number;
  /** session counts the capacity figure holds in turn, the first being the target; [] = not run */
  capacity: number[];
  /** lab ids or folders replayed; the runnable catalog by default */
  replay: string[];
}

export interface Figure {
  id: string;
  what: string;
  unit: string;
  /** the figure itself (p50/p95/p99 …) */
  measured: Record<string, number>;
  /** the same thing done the plain way in the same run */
  baseline?: { what: string; measured: Record<string, number> };
  /** measured ÷ baseline for each key they share */
  ratio?: Record<string, number>;
  /** extra measurements that explain the figure */
  detail?: Record<string, number | string>;
  target?: string;
  meets?: boolean;
  /** why a target is not met, from what was measured */
  why?: string;
  /** 1-minute load average when the figure started and ended */
  load: [number, number];
}

export interface BenchResult {
  netdojo: '0.1.0';
  startedAt: string;
  durationS: number;
  quick: boolean;
  machine: Machine;
  counts: Counts;
  figures: Figure[];
  /** Docker objects of this run left after it (must be empty) */
  leftovers: string[];
}

export interface Ctx {
  runId: string;
  quick: boolean;
  counts: Counts;
  /** every Docker object the bench makes carries a netdojo.scope starting with this */
  scopePrefix: string;
  tmp: string;
  labsDir: string;
  say(msg: string): void;
}
