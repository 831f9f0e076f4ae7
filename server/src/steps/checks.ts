// Running a step's checks: once (the Check button, "must fail before the solve"), or until they
// settle (after a solve: each failing check is retried for its window, its `retry` or its kind's
// default, RETRY_DEFAULTS in labs/schema.ts). The checks of a step are always evaluated together
// through runStepChecks, so whatever it does to evaluate them at once (one round trip, independent
// checks in parallel) applies here too.
import { setTimeout as sleep } from 'node:timers/promises';
import { runStepChecks } from '../checks/index.js';
import type { CheckResult } from '../checks/types.js';
import { retryOf, type Lab, type Locale, type Step } from '../labs/schema.js';
import type { Sandbox } from '../sandbox/types.js';

export interface StepContext {
  lab: Lab;
  sandbox: Sandbox;
  locale?: Locale;
  signal?: AbortSignal;
  /** poll interval while failing checks are retried (default 500 ms) */
  pollMs?: number;
}

export const POLL_MS = 500;

/** Every check of the step, once, evaluated together; results in the order of `step.checks`. */
export function checkStep(ctx: StepContext, step: Step): Promise<CheckResult[]> {
  return runStepChecks(step, ctx.sandbox, ctx.lab, ctx.locale ?? 'en', ctx.signal);
}

export interface Settling {
  results: CheckResult[];
  attempts: number[];
  /** the check passed, or its retry window is over: its result is final */
  settled: boolean[];
}

/**
 * Runs the step's checks together, then re-runs the failing ones (together) until each passes or
 * its retry window (retryOf: the check's `retry`, or its kind's default) is over. A failing check
 * is final only once an attempt that ended after its window failed too, so state that appears
 * within the window is seen. `enough` may end the wait earlier (a near-miss is proven as soon as
 * one check has failed for its whole window).
 */
export async function checkUntilSettled(ctx: StepContext, step: Step, enough?: (s: Settling) => boolean): Promise<Settling> {
  const pollMs = ctx.pollMs ?? POLL_MS;
  const n = step.checks.length;
  const state: Settling = { results: new Array<CheckResult>(n), attempts: new Array<number>(n).fill(0), settled: new Array<boolean>(n).fill(false) };
  const start = Date.now();
  const deadlines = step.checks.map((check) => start + retryOf(check) * 1000);
  let pending = step.checks.map((_, i) => i);
  for (;;) {
    const batch = await checkStep(ctx, { ...step, checks: pending.map((i) => step.checks[i]!) });
    batch.forEach((r, k) => {
      const i = pending[k]!;
      state.results[i] = r;
      state.attempts[i]!++;
    });
    const now = Date.now();
    for (const i of pending) if (state.results[i]!.pass || now >= deadlines[i]!) state.settled[i] = true;
    pending = pending.filter((i) => !state.settled[i]);
    if (!pending.length || ctx.signal?.aborted || enough?.(state)) return state;
    // the next attempt no later than the first pending window's end, so that one attempt ends after it
    const wait = Math.min(pollMs, Math.max(0, Math.min(...pending.map((i) => deadlines[i]!)) - Date.now()));
    await sleep(wait, undefined, { signal: ctx.signal }).catch(() => {});
  }
}
