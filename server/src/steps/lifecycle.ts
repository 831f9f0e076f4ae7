// The one step lifecycle: lab setup, step setup, solve, checks, and the replay rules built from them
// (setup → every check must fail → solve → every check must pass, with bounded retry → solve again
// → every check still passes). The server's sessions, `netdojo replay` and `netdojo dev` all run
// steps through here; fast-forward (bringing a sandbox to the start of a step) is setup + solve of
// each earlier step.
import { kindOf } from '../checks/index.js';
import { textIn, type Step } from '../labs/schema.js';
import { runActions, type ActionsResult } from './actions.js';
import { checkStep, checkUntilSettled, type StepContext } from './checks.js';
import type { CheckRun, RepeatRun, StepHooks, StepRun } from './types.js';

export { checkStep, checkUntilSettled, type StepContext } from './checks.js';

/** The lab's own setup: once, after the sandbox starts, before step 1. */
export function runLabSetup(ctx: StepContext): Promise<ActionsResult> {
  return runActions(ctx.lab.setup, ctx.sandbox, ctx.lab, ctx.signal);
}

/** The hidden preparation of a step, before the learner sees it. */
export function runStepSetup(ctx: StepContext, step: Step): Promise<ActionsResult> {
  return runActions(step.setup, ctx.sandbox, ctx.lab, ctx.signal);
}

/** The step's reference solution (the Solve button, replay). */
export function runSolve(ctx: StepContext, step: Step): Promise<ActionsResult> {
  return runActions(step.solve, ctx.sandbox, ctx.lab, ctx.signal);
}

export function actionsFailed(what: string, res: ActionsResult): string {
  return `${what} failed: ${res.error ?? 'unknown error'}`;
}

/** Lab setup and the first step's setup: a new sandbox as a learner first sees it. */
export async function prepareSandbox(ctx: StepContext): Promise<ActionsResult> {
  const first = ctx.lab.steps[0];
  return runActions([...ctx.lab.setup, ...(first?.setup ?? [])], ctx.sandbox, ctx.lab, ctx.signal);
}

export interface FastForward {
  ok: boolean;
  /** one line: the step and what failed */
  error?: string;
}

/** Setup + solve of each step, without judging checks: the state the step after them starts from. */
export async function fastForward(ctx: StepContext, steps: readonly Step[], onStep?: (step: Step) => void, target?: string): Promise<FastForward> {
  for (const step of steps) {
    if (ctx.signal?.aborted) return { ok: false, error: 'interrupted' };
    onStep?.(step);
    for (const [what, actions] of [['setup', step.setup], ['solve', step.solve]] as const) {
      const res = await runActions(actions, ctx.sandbox, ctx.lab, ctx.signal);
      if (!res.ok) return { ok: false, error: `step ${step.id} (fast-forward${target ? ` to ${target}` : ''}): ${actionsFailed(what, res)}` };
    }
  }
  return { ok: true };
}

/**
 * A fresh sandbox brought to the start of step `index`, after that step's setup: lab setup, then
 * setup + solve of every earlier step, then the step's own setup. Where each variant starts.
 */
export async function bringToStep(ctx: StepContext, index: number): Promise<FastForward> {
  const lab = ctx.lab;
  if (lab.setup.length) {
    const r = await runLabSetup(ctx);
    if (!r.ok) return { ok: false, error: actionsFailed('lab setup', r) };
  }
  const ff = await fastForward(ctx, lab.steps.slice(0, index), undefined, lab.steps[index]!.id);
  if (!ff.ok) return ff;
  const step = lab.steps[index]!;
  if (step.setup.length) {
    const r = await runStepSetup(ctx, step);
    if (!r.ok) return { ok: false, error: `step ${step.id}: ${actionsFailed('setup', r)}` };
  }
  return { ok: true };
}

export interface StepProof {
  run: StepRun;
  /** every reason the step fails the replay, one line each */
  failures: string[];
  /** false: the sandbox is not in the state later steps build on; stop here */
  proceed: boolean;
}

export interface ProveOptions {
  /** run the step's setup first (default true; false when it already ran in this sandbox) */
  setup?: boolean;
  hooks?: StepHooks;
}

/** A CheckRun per check, not run yet. */
export function checkRuns(ctx: StepContext, step: Step): CheckRun[] {
  return step.checks.map((c) => ({
    id: c.id,
    kind: kindOf(c),
    title: textIn(c.title, ctx.locale ?? 'en') || c.id,
    passesBeforeSolve: c.passesBeforeSolve,
    attempts: 0,
    status: 'not-run',
  }));
}

export const NOT_REPEATABLE_FIX = 'fix it or declare repeatable: false';

/**
 * The replay rules for one step, in a sandbox at the start of the step: its setup, every check must
 * fail before the solve (unless passesBeforeSolve), the solve, every check must pass after it
 * (each retried for its `retry` seconds), then — unless `repeatable: false` — the solve again and
 * every check must still pass.
 */
export async function proveStep(ctx: StepContext, step: Step, opts: ProveOptions = {}): Promise<StepProof> {
  const hooks = opts.hooks ?? {};
  const sr: StepRun = { id: step.id, title: textIn(step.title, ctx.locale ?? 'en'), status: 'failed', checks: checkRuns(ctx, step) };
  const failures: string[] = [];
  const at = `step ${step.id}`;
  const stop = (): StepProof => ({ run: sr, failures, proceed: false });

  if (opts.setup !== false && step.setup.length) {
    hooks.phase?.('setup');
    sr.setup = await runStepSetup(ctx, step);
    hooks.actions?.('setup', sr.setup);
    if (!sr.setup.ok) {
      failures.push(`${at}: ${actionsFailed('setup', sr.setup)}`);
      return stop();
    }
  }

  hooks.phase?.('before');
  const before = await checkStep(ctx, step);
  const early: CheckRun[] = [];
  step.checks.forEach((check, i) => {
    const cr = sr.checks[i]!;
    cr.before = before[i]!;
    if (cr.before.pass && !check.passesBeforeSolve) {
      cr.reason = `${at}, check ${check.id}: passed before the solve — it proves nothing (${cr.before.message})`;
      early.push(cr);
    }
    hooks.check?.('before', cr, cr.before);
  });

  hooks.phase?.('solve');
  sr.solve = await runSolve(ctx, step);
  hooks.actions?.('solve', sr.solve);
  if (!sr.solve.ok) {
    for (const cr of early) cr.status = 'failed';
    failures.push(...early.map((c) => c.reason!));
    failures.push(`${at}: ${actionsFailed('solve', sr.solve)}`);
    return stop();
  }

  hooks.phase?.('after');
  const after = await checkUntilSettled(ctx, step);
  let allPass = true;
  step.checks.forEach((check, i) => {
    const cr = sr.checks[i]!;
    const result = after.results[i]!;
    cr.after = result;
    cr.attempts = after.attempts[i]!;
    if (cr.reason) cr.status = 'failed';
    else if (!result.pass) {
      cr.status = 'failed';
      const waited = check.retry > 0 ? ` (retried for ${check.retry} s)` : '';
      cr.reason = `${at}, check ${check.id}: still fails after the solve${waited}: ${result.message}`;
    } else cr.status = 'passed';
    if (!result.pass) allPass = false;
    if (cr.status === 'failed') failures.push(cr.reason!);
    hooks.check?.('after', cr, result);
  });
  // later steps build on this one's state; with a broken step their results would mislead
  if (!allPass) return stop();

  if (!step.repeatable) sr.again = { status: 'skipped', reason: 'repeatable: false' };
  else {
    hooks.phase?.('again');
    sr.again = await solveAgain(ctx, step, (res) => hooks.actions?.('again', res));
    if (sr.again.status === 'failed') failures.push(sr.again.reason!);
    hooks.again?.(sr.again);
  }
  sr.status = failures.length ? 'failed' : 'passed';
  // a second solve that failed part-way may leave a state the next steps do not expect
  return { run: sr, failures, proceed: sr.again.status !== 'failed' || sr.again.checks?.every((c) => c.pass) === true };
}

/** Solve twice is harmless: the solve runs again and every check still passes. */
export async function solveAgain(ctx: StepContext, step: Step, onSolve?: (res: ActionsResult) => void): Promise<RepeatRun> {
  const solve = await runSolve(ctx, step);
  onSolve?.(solve);
  const settled = await checkUntilSettled(ctx, step);
  const checks = settled.results;
  const problems: string[] = [];
  if (!solve.ok) problems.push(`its second run failed: ${solve.error ?? 'unknown error'}`);
  for (const r of checks) if (!r.pass) problems.push(`after its second run check ${r.id} fails: ${r.message}`);
  if (!problems.length) return { status: 'passed', solve, checks };
  return { status: 'failed', solve, checks, reason: `step ${step.id}: the solve is not repeatable: ${problems.join('; ')}; ${NOT_REPEATABLE_FIX}` };
}
