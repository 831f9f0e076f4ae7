// The one step lifecycle: lab setup, step setup, solve, checks, and the replay rules built from them
// (setup → every check must fail → solve → every check must pass, with bounded retry → solve again
// → every check still passes). The server's sessions, `netdojo replay` and `netdojo dev` all run
// steps through here; fast-forward (bringing a sandbox to the start of a step) is setup + solve of
// each earlier step.
import { kindOf } from '../checks/index.js';
import { retryOf, textIn, type Step } from '../labs/schema.js';
import { runActions, type ActionsResult } from './actions.js';
import { runPlan, type PlannedAction } from './batch.js';
import { checkStep, checkUntilSettled, type StepContext } from './checks.js';
import { proveFaultWalk, withFaults } from './faults.js';
import type { CheckRun, RepeatRun, StepHooks, StepPhase, StepRun } from './types.js';

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
    const res = await runPlan(planOf([step]), ctx.sandbox, ctx.lab, ctx.signal);
    if (!res.ok) return { ok: false, error: `step ${step.id} (fast-forward${target ? ` to ${target}` : ''}): ${actionsFailed(res.failedWhat!.split('\0')[1]!, res)}` };
  }
  return { ok: true };
}

/** setup then solve of each step, in order, as one plan (runPlan batches what it can) */
function planOf(steps: readonly Step[], skipFirstSetup = false): PlannedAction[] {
  return steps.flatMap((step, i) => [
    ...(i === 0 && skipFirstSetup ? [] : step.setup.map((action) => ({ action, what: `${step.id}\0setup` }))),
    ...step.solve.map((action) => ({ action, what: `${step.id}\0solve` })),
  ]);
}

export interface BringOptions {
  /**
   * the sandbox already ran the lab setup and the first step's setup (a warm-pool sandbox,
   * prepareSandbox): they are not run again
   */
  prepared?: boolean;
  /**
   * judge the last fast-forwarded step: its checks must pass (each retried for its retry window
   * only while it fails), or the fast-forward fails. The earlier steps' solves are judged
   * by their exit status only (replay proves that a solve that exits 0 lands).
   */
  verify?: boolean;
}

/**
 * A fresh sandbox brought to the start of step `index`, after that step's setup: lab setup, then
 * setup + solve of every earlier step, then the step's own setup. Where each variant starts, and
 * where a restarted session starts. The actions run batched (runPlan): few execs, no check polling.
 */
export async function bringToStep(ctx: StepContext, index: number, opts: BringOptions = {}): Promise<FastForward> {
  const lab = ctx.lab;
  const step = lab.steps[index]!;
  if (!opts.prepared && lab.setup.length) {
    const r = await runPlan(lab.setup.map((action) => ({ action, what: 'lab setup' })), ctx.sandbox, lab, ctx.signal);
    if (!r.ok) return { ok: false, error: actionsFailed('lab setup', r) };
  }
  const before = lab.steps.slice(0, index);
  const ff = await runPlan(planOf(before, opts.prepared), ctx.sandbox, lab, ctx.signal);
  if (!ff.ok) {
    const [id, what] = ff.failedWhat!.split('\0');
    return { ok: false, error: `step ${id} (fast-forward to ${step.id}): ${actionsFailed(what!, ff)}` };
  }
  const last = before.at(-1);
  if (opts.verify && last?.checks.length) {
    const settled = await checkUntilSettled(ctx, last);
    const failed = settled.results.filter((r) => !r.pass);
    if (failed.length) {
      return { ok: false, error: `step ${last.id} (fast-forward to ${step.id}): its solve ran but did not land: ${failed.map((r) => `check ${r.id} fails: ${r.message}`).join('; ')}` };
    }
  }
  if (step.setup.length && !(opts.prepared && index === 0)) {
    const r = await runPlan(step.setup.map((action) => ({ action, what: 'setup' })), ctx.sandbox, lab, ctx.signal);
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
  /** runs instead of the step's solve (a troubleshooting step's fault-by-fault repair); its failures fail the step */
  solve?: () => Promise<{ result: ActionsResult; failures: string[] }>;
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
 * (each retried for its retry window), then — unless `repeatable: false` — the solve again and
 * every check must still pass.
 */
export async function proveStep(ctx: StepContext, step: Step, opts: ProveOptions = {}): Promise<StepProof> {
  const hooks = opts.hooks ?? {};
  const sr: StepRun = { id: step.id, title: textIn(step.title, ctx.locale ?? 'en'), status: 'failed', checks: checkRuns(ctx, step) };
  const failures: string[] = [];
  const at = `step ${step.id}`;
  const timings: Partial<Record<StepPhase, number>> = (sr.timings = {});
  let phase: StepPhase | undefined;
  let phaseStart = Date.now();
  const enter = (next?: StepPhase): void => {
    const now = Date.now();
    if (phase) timings[phase] = (timings[phase] ?? 0) + now - phaseStart;
    [phase, phaseStart] = [next, now];
    if (next) hooks.phase?.(next);
  };
  const stop = (): StepProof => (enter(), { run: sr, failures, proceed: false });

  if (opts.setup !== false && step.setup.length) {
    enter('setup');
    sr.setup = await runStepSetup(ctx, step);
    hooks.actions?.('setup', sr.setup);
    if (!sr.setup.ok) {
      failures.push(`${at}: ${actionsFailed('setup', sr.setup)}`);
      return stop();
    }
  }

  enter('before');
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

  enter('solve');
  const custom = opts.solve ? await opts.solve() : undefined;
  sr.solve = custom?.result ?? (await runSolve(ctx, step));
  hooks.actions?.('solve', sr.solve);
  if (custom) failures.push(...custom.failures);
  if (!sr.solve.ok) {
    for (const cr of early) cr.status = 'failed';
    failures.push(...early.map((c) => c.reason!));
    failures.push(`${at}: ${actionsFailed('solve', sr.solve)}`);
    return stop();
  }

  enter('after');
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
      const window = retryOf(check);
      const waited = window > 0 ? ` (retried for ${window} s${check.retry === undefined ? `, the ${kindOf(check)} default; a lab may set \`retry\`` : ''})` : '';
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
    enter('again');
    sr.again = await solveAgain(ctx, step, (res) => hooks.actions?.('again', res));
    if (sr.again.status === 'failed') failures.push(sr.again.reason!);
    hooks.again?.(sr.again);
  }
  sr.status = failures.length ? 'failed' : 'passed';
  enter();
  // a second solve that failed part-way may leave a state the next steps do not expect
  return { run: sr, failures, proceed: sr.again.status !== 'failed' || sr.again.checks?.every((c) => c.pass) === true };
}

/**
 * A troubleshooting step, proven for every fault it declares (not a draw): all injected after the
 * setup, every check fails; the faults are repaired one by one, each one's checks pass and the
 * others' still fail (steps/faults.ts, proveFaultWalk); then the usual rules (all pass, solve again).
 */
export function proveFaultStep(ctx: StepContext, step: Step, opts: ProveOptions = {}): Promise<StepProof> {
  const all = withFaults(step, step.faults.map((f) => f.id));
  return proveStep(ctx, all, { ...opts, solve: () => proveFaultWalk(ctx, step) });
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
