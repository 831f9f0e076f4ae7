// What running a step produces: each check's result before and after its solve, the second solve,
// and the verdicts of the step's near-misses and alternatives. Replay reports and `netdojo dev`
// print these; the server's Check and Solve use the plain check results and action results.
import type { CheckKind } from '../labs/schema.js';
import type { CheckResult } from '../checks/types.js';
import type { ActionsResult } from './actions.js';

/** passed: failed before the solve (or may pass: passesBeforeSolve) and passed after it */
export type CheckStatus = 'passed' | 'failed' | 'not-run';

export interface CheckRun {
  id: string;
  kind: CheckKind;
  title: string;
  passesBeforeSolve: boolean;
  before?: CheckResult;
  after?: CheckResult;
  /** how many times the check ran after the solve (retries included) */
  attempts: number;
  status: CheckStatus;
  /** why the check failed the lab, one line naming the step and the check */
  reason?: string;
}

/** The solve run a second time after the checks passed, and the checks again (`repeatable`). */
export interface RepeatRun {
  /** skipped: the step declares `repeatable: false` */
  status: 'passed' | 'failed' | 'skipped';
  solve?: ActionsResult;
  checks?: CheckResult[];
  reason?: string;
}

export interface StepRun {
  id: string;
  title: string;
  setup?: ActionsResult;
  solve?: ActionsResult;
  checks: CheckRun[];
  again?: RepeatRun;
  status: 'passed' | 'failed' | 'not-run';
  /** where the step's time went, per phase (ms); `after` includes waiting in retry windows */
  timings?: Partial<Record<StepPhase, number>>;
}

export type VariantKind = 'near-miss' | 'alternative';

/** One near-miss or alternative, proven from a fresh sandbox brought to the start of its step. */
export interface VariantRun {
  step: string;
  id: string;
  kind: VariantKind;
  why?: string;
  /** near-miss: the check that must be among the failing ones */
  fails?: string;
  /** passed: the near-miss was caught / the alternative was accepted */
  status: 'passed' | 'failed' | 'not-run';
  /** failed: one line naming the step and the variant; passed near-miss: which checks caught it */
  reason?: string;
  sessionId?: string;
  /** the variant's own actions */
  solve?: ActionsResult;
  /** each check's last result after the variant (after its settle window) */
  checks: CheckResult[];
  attempts: number[];
  durationMs: number;
  /** where the variant's time went (ms): sandbox creation, fast-forward to the step, its actions, settling the checks, teardown */
  timings?: { createMs?: number; bringMs?: number; actionsMs?: number; settleMs?: number; teardownMs?: number };
  leftovers: string[];
}

export type StepPhase = 'setup' | 'before' | 'solve' | 'after' | 'again';

/** What a step's lifecycle reports while it runs. */
export interface StepHooks {
  phase?(phase: StepPhase): void;
  /** the step's setup, its solve, or its second solve ran */
  actions?(what: 'setup' | 'solve' | 'again', result: ActionsResult): void;
  check?(phase: 'before' | 'after', check: CheckRun, result: CheckResult): void;
  /** the second solve and its re-check finished (`again.status` is passed or failed) */
  again?(again: RepeatRun): void;
}
