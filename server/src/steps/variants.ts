// Near-misses and alternatives: other things a learner might do at a step, and what the checks
// must say about them. Each runs in a sandbox brought to the start of its step (bringToStep).
//
// Settling: checks are retried after a variant exactly as after the real solve, and only the final
// results count. For an alternative that is the normal rule (it may take as long to converge as
// the solve). For a near-miss it is the strict direction: a check "catches" it only if it still
// fails when its whole retry window is over (its `retry`, or its kind's default: schema.ts
// RETRY_DEFAULTS), i.e. when a correct solve would certainly have passed it. A check that fails
// at first and passes a moment later (a route still converging) would tell the learner "✓" on
// their next Check, so it does not count as catching the mistake. The proof ends as soon as one
// check (the named one, with `fails`) has failed for its whole window.
import { textIn, type Alternative, type Locale, type NearMiss, type Step } from '../labs/schema.js';
import { runActions } from './actions.js';
import { checkUntilSettled, type Settling, type StepContext } from './checks.js';
import type { VariantRun } from './types.js';

/** `fault`: a variant of one of the step's faults, proven with that fault alone injected */
export type Variant = ({ kind: 'near-miss'; spec: NearMiss } | { kind: 'alternative'; spec: Alternative }) & { fault?: string };

/** The step's near-misses, then its alternatives, then those of each of its faults. */
export function variantsOf(step: Step): Variant[] {
  return [
    ...step.nearMisses.map((spec): Variant => ({ kind: 'near-miss', spec })),
    ...step.alternatives.map((spec): Variant => ({ kind: 'alternative', spec })),
    ...step.faults.flatMap((f) => [
      ...f.nearMisses.map((spec): Variant => ({ kind: 'near-miss', spec, fault: f.id })),
      ...f.alternatives.map((spec): Variant => ({ kind: 'alternative', spec, fault: f.id })),
    ]),
  ];
}

/** A VariantRun that has not run yet. */
export function emptyVariantRun(step: Step, v: Variant, locale: Locale = 'en'): VariantRun {
  const why = textIn(v.spec.why, locale);
  return {
    step: step.id,
    id: v.spec.id,
    kind: v.kind,
    ...(why ? { why } : {}),
    ...(v.kind === 'near-miss' && v.spec.fails ? { fails: v.spec.fails } : {}),
    status: 'not-run',
    checks: [],
    attempts: [],
    durationMs: 0,
    leftovers: [],
  };
}

/** Which checks have failed for their whole window (the ones that catch a near-miss). */
function catching(step: Step, s: Settling): string[] {
  return step.checks.filter((_, i) => s.settled[i] && !s.results[i]!.pass).map((c) => c.id);
}

/**
 * Runs the variant's actions in a sandbox at the start of `step` (after its setup) and judges the
 * checks: a near-miss must leave at least one check failing (the one named by `fails`, if set), an
 * alternative must pass every check. Fills `run` in place.
 */
export async function proveVariant(ctx: StepContext, step: Step, v: Variant, run: VariantRun): Promise<VariantRun> {
  const at = `step ${step.id}, ${v.kind} ${v.spec.id}`;
  run.solve = await runActions(v.spec.solve, ctx.sandbox, ctx.lab, ctx.signal);
  if (!run.solve.ok) {
    run.status = 'failed';
    run.reason = `${at}: its actions failed: ${run.solve.error ?? 'unknown error'} (a near-miss or alternative must run cleanly; add \`|| true\` where the error is the point)`;
    return run;
  }
  const named = v.kind === 'near-miss' && v.spec.fails ? step.checks.findIndex((c) => c.id === v.spec.fails) : -1;
  const settleStart = Date.now();
  const settled = await checkUntilSettled(
    ctx,
    step,
    v.kind === 'alternative' ? undefined : (s) => (named >= 0 ? s.settled[named]! : catching(step, s).length > 0),
  );
  run.checks = settled.results.filter(Boolean);
  run.attempts = settled.attempts;
  run.timings = { ...run.timings, actionsMs: run.solve.durationMs, settleMs: Date.now() - settleStart };
  if (ctx.signal?.aborted) {
    run.status = 'failed';
    run.reason = `${at}: interrupted`;
    return run;
  }
  if (v.kind === 'alternative') {
    const failing = settled.results.filter((r) => !r.pass);
    run.status = failing.length ? 'failed' : 'passed';
    if (failing.length)
      run.reason = `${at}: a correct solution is rejected: ${failing.map((r) => `check ${r.id} fails (${r.message})`).join('; ')}`;
    return run;
  }
  const caught = catching(step, settled);
  if (named >= 0) {
    const others = settled.results.filter((r) => !r.pass).map((r) => r.id);
    const ok = caught.includes(v.spec.fails!);
    run.status = ok ? 'passed' : 'failed';
    run.reason = ok
      ? `caught by ${caught.join(', ')}`
      : `${at}: check ${v.spec.fails} should fail but passes (${settled.results[named]!.message})${others.length ? `; failing instead: ${others.join(', ')}` : ''}`;
    return run;
  }
  run.status = caught.length ? 'passed' : 'failed';
  run.reason = caught.length ? `caught by ${caught.join(', ')}` : `${at}: not caught: every check passes after this wrong action`;
  return run;
}
