// Troubleshooting steps: a step may declare faults, of which each session draws `pick`. The draw is
// seeded (the session id): the same seed always draws the same faults, different seeds spread over
// the combinations. A step with drawn faults is turned into a plain Step (its setup followed by the
// drawn injects, its checks and solve followed by theirs), so everything downstream — Check, Solve,
// restart at a step, near-misses — runs the one step lifecycle unchanged, and the faults that were
// not drawn are neither injected, shown nor checked.
//
// Replay proves every fault, not a draw (proveFaultWalk): all faults injected together, every check
// fails; then the faults are repaired one at a time in the lab's order, and after each repair its own
// checks must pass while the checks of every fault not repaired yet must still fail (a check that
// depends on another fault would pass or fail for the wrong reason in a session that drew both).
// Each fault's near-misses and alternatives run in a sandbox where that fault alone is injected.
import { createHash } from 'node:crypto';
import type { Action, Check, Fault, Hint, Lab, Step, Text } from '../labs/schema.js';
import { runActions, type ActionResult, type ActionsResult } from './actions.js';
import { checkStep, checkUntilSettled, type StepContext } from './checks.js';

/** step id → the ids of the faults drawn for it */
export type FaultDraw = Record<string, string[]>;

/** The order a seed gives the faults: by a hash of (seed, step, fault), so ids, not positions, decide. */
function rank(seed: string, step: Step, fault: Fault): string {
  return createHash('sha256').update(`${seed}\0${step.id}\0${fault.id}`).digest('hex');
}

/** The `pick` faults a seed draws for a step, in the lab file's order ([] for a step without faults). */
export function drawFaults(step: Step, seed: string): string[] {
  const n = Math.min(step.pick ?? step.faults.length, step.faults.length);
  const chosen = new Set(
    step.faults
      .map((f) => ({ id: f.id, r: rank(seed, step, f) }))
      .sort((a, b) => (a.r < b.r ? -1 : a.r > b.r ? 1 : 0))
      .slice(0, n)
      .map((f) => f.id),
  );
  return step.faults.filter((f) => chosen.has(f.id)).map((f) => f.id);
}

/** The draw of every step with faults. */
export function drawLab(lab: Lab, seed: string): FaultDraw {
  const out: FaultDraw = {};
  for (const step of lab.steps) if (step.faults.length) out[step.id] = drawFaults(step, seed);
  return out;
}

export const hasFaults = (lab: Lab): boolean => lab.steps.some((s) => s.faults.length > 0);

/**
 * The draw to use for a lab: the stored one where it still names faults of the step (a session's
 * draw survives restarts), a fresh one from `seed` where it does not (the lab file changed).
 */
export function resolveDraw(lab: Lab, stored: FaultDraw | undefined, seed: string): FaultDraw {
  const out: FaultDraw = {};
  for (const step of lab.steps) {
    if (!step.faults.length) continue;
    const known = (stored?.[step.id] ?? []).filter((id) => step.faults.some((f) => f.id === id));
    out[step.id] = known.length ? known : drawFaults(step, seed);
  }
  return out;
}

/** Every fault of every step: what replay proves. */
export function allFaults(lab: Lab): FaultDraw {
  const out: FaultDraw = {};
  for (const step of lab.steps) if (step.faults.length) out[step.id] = step.faults.map((f) => f.id);
  return out;
}

export function faultsOf(step: Step, ids: readonly string[]): Fault[] {
  return step.faults.filter((f) => ids.includes(f.id));
}

/** A fault's checks, each with the fault's hint where it declares none. */
export function faultChecks(fault: Fault): Check[] {
  return fault.checks.map((c) => (c.hint === undefined && fault.hint !== undefined ? { ...c, hint: fault.hint } : c));
}

/** The injects of the drawn faults (what a pooled sandbox, prepared without a draw, still needs). */
export function faultInjects(step: Step, ids: readonly string[]): Action[] {
  return faultsOf(step, ids).flatMap((f) => f.inject);
}

/** the injects inside each materialized step's setup (what a warm-pool sandbox has not run) */
const injected = new WeakMap<Step, Action[]>();

/**
 * The drawn injects at the end of a step made by withFaults ([] for any other step). A warm-pool
 * sandbox ran the lab's plain first setup before any session existed; it runs these when claimed.
 */
export function injectsOf(step: Step): Action[] {
  return injected.get(step) ?? [];
}

/** The step as a session with these faults drawn sees it: a plain step without `faults`. */
export function withFaults(step: Step, ids: readonly string[]): Step {
  if (!step.faults.length) return step;
  const drawn = faultsOf(step, ids);
  const out: Step = {
    ...step,
    setup: [...step.setup, ...drawn.flatMap((f) => f.inject)],
    solve: [...drawn.flatMap((f) => f.solve), ...step.solve],
    checks: [...step.checks, ...drawn.flatMap(faultChecks)],
    nearMisses: [...step.nearMisses, ...drawn.flatMap((f) => f.nearMisses)],
    alternatives: [...step.alternatives, ...drawn.flatMap((f) => f.alternatives)],
    faults: [],
    pick: undefined,
  };
  injected.set(out, drawn.flatMap((f) => f.inject));
  return out;
}

/** What a learner is shown of a draw: per step, each drawn fault's symptom and its checks (never its cause or repair). */
export interface DrawnFaultView {
  id: string;
  symptom: Text;
  checks: Array<{ id: string; title?: Text; hint?: Hint }>;
}

export function drawnView(lab: Lab, draw: FaultDraw): Record<string, DrawnFaultView[]> {
  const out: Record<string, DrawnFaultView[]> = {};
  for (const step of lab.steps) {
    if (!step.faults.length) continue;
    out[step.id] = faultsOf(step, draw[step.id] ?? []).map((f) => ({
      id: f.id,
      symptom: f.symptom,
      checks: faultChecks(f).map((c) => ({ id: c.id, ...(c.title !== undefined ? { title: c.title } : {}), ...(c.hint !== undefined ? { hint: c.hint } : {}) })),
    }));
  }
  return out;
}

/** The lab as a session with this draw sees it (steps without faults are unchanged). */
export function labWithFaults(lab: Lab, draw: FaultDraw): Lab {
  if (!hasFaults(lab)) return lab;
  return { ...lab, steps: lab.steps.map((s) => (s.faults.length ? withFaults(s, draw[s.id] ?? []) : s)) };
}

/**
 * The repairs of every fault of `step`, one at a time, in a sandbox where all of them are injected
 * (and their checks were seen failing): after each repair its checks must pass (within their retry
 * windows) and the checks of every fault not repaired yet must still fail. Then the step's own
 * solve. Returns what ran and one line per broken rule.
 */
export async function proveFaultWalk(ctx: StepContext, step: Step): Promise<{ result: ActionsResult; failures: string[] }> {
  const started = Date.now();
  const actions: ActionResult[] = [];
  const failures: string[] = [];
  const at = `step ${step.id}`;
  const done = (ok: boolean, error?: string) => ({ result: { ok, durationMs: Date.now() - started, actions, ...(error ? { error } : {}) }, failures });
  for (const [i, fault] of step.faults.entries()) {
    const r = await runActions(fault.solve, ctx.sandbox, ctx.lab, ctx.signal);
    actions.push(...r.actions);
    if (!r.ok) return done(false, `fault ${fault.id}: ${r.error ?? 'unknown error'}`);
    const own = await checkUntilSettled(ctx, { ...step, checks: faultChecks(fault) });
    own.results.forEach((res) => {
      if (!res.pass) failures.push(`${at}, fault ${fault.id}, check ${res.id}: still fails after the fault's repair: ${res.message}`);
    });
    const later = step.faults.slice(i + 1);
    if (!later.length) continue;
    const rest = await checkStep(ctx, { ...step, checks: later.flatMap(faultChecks) });
    const owner = (id: string) => later.find((f) => f.checks.some((c) => c.id === id))!.id;
    rest.forEach((res) => {
      if (res.pass)
        failures.push(`${at}, fault ${owner(res.id)}, check ${res.id}: passes once only fault ${fault.id} is repaired — a fault's checks must not depend on another fault`);
    });
  }
  if (step.solve.length) {
    const r = await runActions(step.solve, ctx.sandbox, ctx.lab, ctx.signal);
    actions.push(...r.actions);
    if (!r.ok) return done(false, r.error);
  }
  return done(true);
}
