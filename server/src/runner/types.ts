// What a replay produces: one LabRun per lab, with every check's result before and after its solve.
import type { CheckKind } from '../labs/schema.js';
import type { CheckResult } from '../checks/types.js';
import type { ActionsResult } from './actions.js';

export type LabStatus = 'passed' | 'failed' | 'skipped';
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

export interface StepRun {
  id: string;
  title: string;
  setup?: ActionsResult;
  solve?: ActionsResult;
  checks: CheckRun[];
  status: 'passed' | 'failed' | 'not-run';
}

export interface LabRun {
  id: string;
  title: string;
  file: string;
  status: LabStatus;
  /** skipped: the unmet requirement; failed: every failure, joined by "; " */
  reason?: string;
  failures: string[];
  durationMs: number;
  sessionId?: string;
  /** lab-level setup */
  setup?: ActionsResult;
  steps: StepRun[];
  /** objects the provider still saw for the session after teardown (must be empty) */
  leftovers: string[];
  /** the sandbox was left up after a failure (replay --keep): remove it with `netdojo rm <sessionId>` */
  kept?: boolean;
  timings: { createMs?: number; teardownMs?: number };
}

export interface ReplaySummary {
  labs: LabRun[];
  passed: number;
  failed: number;
  skipped: number;
  durationMs: number;
}

export type ReplayEvent =
  | { type: 'lab-start'; lab: string }
  | { type: 'progress'; lab: string; message: string }
  | { type: 'sandbox-ready'; lab: string; sessionId: string; ms: number }
  | { type: 'phase'; lab: string; step: string; phase: 'setup' | 'before' | 'solve' | 'after' }
  | { type: 'check'; lab: string; step: string; phase: 'before' | 'after'; check: CheckRun; result: CheckResult }
  | { type: 'lab-end'; result: LabRun };
