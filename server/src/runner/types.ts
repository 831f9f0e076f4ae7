// What a replay produces: one LabRun per lab, with every check's result before and after its solve,
// the second solve of each step, and the verdict of each near-miss and alternative.
import type { CheckResult } from '../checks/types.js';
import type { ActionsResult } from '../steps/actions.js';
import type { CheckRun, RepeatRun, StepRun, VariantRun } from '../steps/types.js';

export type { CheckRun, CheckStatus, RepeatRun, StepRun, VariantRun } from '../steps/types.js';

export type LabStatus = 'passed' | 'failed' | 'skipped';

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
  /** near-misses and alternatives, each from its own fresh sandbox (in the order of the lab file) */
  variants: VariantRun[];
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
  | { type: 'phase'; lab: string; step: string; phase: 'setup' | 'before' | 'solve' | 'after' | 'again' }
  | { type: 'check'; lab: string; step: string; phase: 'before' | 'after'; check: CheckRun; result: CheckResult }
  | { type: 'again'; lab: string; step: string; again: RepeatRun }
  | { type: 'variant'; lab: string; result: VariantRun }
  | { type: 'lab-end'; result: LabRun };
