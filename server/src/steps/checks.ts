// Running a step's checks: once (the Check button, "must fail before the solve"), or until they
// settle (after a solve: each failing check is retried for its `retry` seconds). The checks of a
// step are always evaluated together through runStepChecks, so whatever it does to evaluate them
// at once (one round trip, independent checks in parallel) applies here too.
import { setTimeout as sleep } from 'node:timers/promises';
import { runStepChecks } from '../checks/index.js';
import type { CheckResult } from '../checks/types.js';
import type { Lab, Locale, Step } from '../labs/schema.js';
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
 * its `retry` seconds since the first attempt are over. `enough` may end the wait earlier (a
 * near-miss is proven as soon as one check has failed for its whole window).
 */
export async function checkUntilSettled(ctx: StepContext, step: Step, enough?: (s: Settling) => boolean): Promise<Settling> {
  const pollMs = ctx.pollMs ?? POLL_MS;
  const n = step.checks.length;
  const state: Settling = { results: new Array<CheckResult>(n), attempts: new Array<number>(n).fill(0), settled: new Array<boolean>(n).fill(false) };
  const deadline = (i: number, start: number) => start + step.checks[i]!.retry * 1000;
  const start = Date.now();
  let pending = step.checks.map((_, i) => i);
  for (;;) {
    const batch = await checkStep(ctx, { ...step, checks: pending.map((i) => step.checks[i]!) });
    batch.forEach((r, k) => {
      const i = pending[k]!;
      state.results[i] = r;
      state.attempts[i]!++;
    });
    const now = Date.now();
    for (const i of pending) if (state.results[i]!.pass || now + pollMs > deadline(i, start)) state.settled[i] = true;
    pending = pending.filter((i) => !state.settled[i]);
    if (!pending.length || ctx.signal?.aborted || enough?.(state)) return state;
    await sleep(pollMs, undefined, { signal: ctx.signal }).catch(() => {});
  }
}
