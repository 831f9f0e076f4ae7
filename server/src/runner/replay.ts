// The replay engine (DESIGN §3): a fresh sandbox per lab; per step setup → every check must
// fail → solve → every check must pass (with retry); teardown always; nothing may be left.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { textIn, type Check, type Lab, type Locale, type LoadedLab } from '../labs/schema.js';
import type { Capabilities, Provider, ProviderName, Sandbox, SandboxRef } from '../sandbox/types.js';
import { defaultHostOf, kindOf, runCheck } from '../checks/index.js';
import type { CheckContext, CheckResult } from '../checks/types.js';
import { runActions, type ActionsResult } from './actions.js';
import { installSignalCleanup, track, untrack } from './cleanup.js';
import type { CheckRun, LabRun, ReplayEvent, ReplaySummary, StepRun } from './types.js';

/** A provider, or a way to get one by name (rejects with the reason it is unavailable). */
export type ProviderSource = Provider | ((name: ProviderName) => Promise<Provider>);

export interface ReplayOptions {
  provider: ProviderSource;
  /** labs replayed at the same time (replayMany) */
  jobs?: number;
  locale?: Locale;
  onEvent?: (event: ReplayEvent) => void;
  signal?: AbortSignal;
  /** poll interval while retrying a failing check after its solve */
  pollMs?: number;
  /** replayMany only: destroy active sandboxes on SIGINT/SIGTERM (default true) */
  handleSignals?: boolean;
  /** replay from this step on; earlier steps only run their setup and solve (fast-forward) */
  from?: string;
  /** replay only this step (earlier steps fast-forward, later ones do not run) */
  step?: string;
  /** leave the sandbox up when the lab fails (not when interrupted); LabRun.kept is then set */
  keep?: boolean;
}

const POLL_MS = 500;

function newSessionId(): string {
  return `replay-${randomBytes(5).toString('hex')}`;
}

async function resolveProvider(source: ProviderSource, name: ProviderName): Promise<Provider | string> {
  if (typeof source !== 'function') {
    return source.name === name ? source : `this lab needs the ${name} provider (replay was given ${source.name})`;
  }
  try {
    return await source(name);
  } catch (err) {
    return `the ${name} provider is not available: ${err instanceof Error ? err.message : String(err)}`;
  }
}

const capsCache = new WeakMap<Provider, Promise<Capabilities>>();
function capabilitiesOf(provider: Provider): Promise<Capabilities> {
  let caps = capsCache.get(provider);
  if (!caps) {
    caps = provider.capabilities();
    capsCache.set(provider, caps);
  }
  return caps;
}

/** The first unmet requirement, in words; undefined when the host can run the lab. */
export function unmetRequirement(lab: Lab, caps: Capabilities): string | undefined {
  for (const req of lab.requires) {
    if (caps.has[req] !== true) return `requires ${req}: ${caps.missing[req] ?? `${req} is not available on this host`}`;
  }
  return undefined;
}

function emptyRun(loaded: LoadedLab, locale: Locale): LabRun {
  return {
    id: loaded.lab.id,
    title: textIn(loaded.lab.title, locale),
    file: loaded.file,
    status: 'failed',
    failures: [],
    durationMs: 0,
    steps: [],
    leftovers: [],
    timings: {},
  };
}

function finish(run: LabRun, started: number, onEvent?: (e: ReplayEvent) => void): LabRun {
  run.durationMs = Date.now() - started;
  if (run.status !== 'skipped') {
    run.status = run.failures.length ? 'failed' : 'passed';
    if (run.failures.length) run.reason = run.failures.join('; ');
  }
  onEvent?.({ type: 'lab-end', result: run });
  return run;
}

function abortedError(): Error {
  return new Error('interrupted');
}

/** Runs a check until it passes or `retry` seconds have passed since the first attempt. */
async function untilPass(check: Check, ctx: CheckContext, locale: Locale, pollMs: number, signal?: AbortSignal): Promise<{ result: CheckResult; attempts: number }> {
  const deadline = Date.now() + check.retry * 1000;
  let attempts = 0;
  for (;;) {
    const result = await runCheck(check, ctx, locale);
    attempts++;
    if (result.pass || Date.now() + pollMs > deadline || signal?.aborted) return { result, attempts };
    await sleep(pollMs, undefined, { signal }).catch(() => {});
  }
}

export async function replayLab(loaded: LoadedLab, opts: ReplayOptions): Promise<LabRun> {
  const { lab } = loaded;
  const locale = opts.locale ?? 'en';
  const pollMs = opts.pollMs ?? POLL_MS;
  const emit = opts.onEvent;
  const started = Date.now();
  const run = emptyRun(loaded, locale);
  emit?.({ type: 'lab-start', lab: lab.id });

  const provider = await resolveProvider(opts.provider, lab.environment.provider);
  if (typeof provider === 'string') {
    run.status = 'skipped';
    run.reason = provider;
    return finish(run, started, emit);
  }
  let caps: Capabilities;
  try {
    caps = await capabilitiesOf(provider);
  } catch (err) {
    run.failures.push(`could not find out what this host can run: ${err instanceof Error ? err.message : String(err)}`);
    return finish(run, started, emit);
  }
  const unmet = unmetRequirement(lab, caps);
  if (unmet) {
    run.status = 'skipped';
    run.reason = unmet;
    return finish(run, started, emit);
  }
  if (opts.signal?.aborted) {
    run.failures.push('interrupted before it started');
    return finish(run, started, emit);
  }
  for (const wanted of [opts.from, opts.step]) {
    if (wanted !== undefined && !lab.steps.some((st) => st.id === wanted)) {
      run.failures.push(`no step '${wanted}' in lab ${lab.id} (steps: ${lab.steps.map((st) => st.id).join(', ')})`);
      return finish(run, started, emit);
    }
  }

  const sessionId = newSessionId();
  run.sessionId = sessionId;
  let ref: SandboxRef = { provider: provider.name, sessionId, labId: lab.id };
  track(provider, ref);
  try {
    const t0 = Date.now();
    const sandbox: Sandbox = await provider.create(lab, {
      sessionId,
      labDir: loaded.dir,
      signal: opts.signal,
      onProgress: (message) => emit?.({ type: 'progress', lab: lab.id, message }),
    });
    ref = sandbox.ref;
    track(provider, ref);
    run.timings.createMs = Date.now() - t0;
    emit?.({ type: 'sandbox-ready', lab: lab.id, sessionId, ms: run.timings.createMs });
    await replaySteps(lab, sandbox, run, { locale, pollMs, emit, signal: opts.signal, from: opts.step ?? opts.from, only: opts.step });
  } catch (err) {
    run.failures.push(err instanceof Error ? err.message : String(err));
  } finally {
    const t1 = Date.now();
    if (opts.keep && run.failures.length && run.timings.createMs !== undefined && !opts.signal?.aborted) {
      run.kept = true;
      untrack(sessionId);
      return finish(run, started, emit);
    }
    try {
      await provider.destroy(ref);
    } catch (err) {
      run.failures.push(`teardown failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    try {
      run.leftovers = await provider.leftovers(sessionId);
      if (run.leftovers.length) run.failures.push(`left behind after teardown: ${run.leftovers.join(', ')}`);
      else untrack(sessionId);
    } catch (err) {
      run.failures.push(`could not verify the teardown: ${err instanceof Error ? err.message : String(err)}`);
    }
    run.timings.teardownMs = Date.now() - t1;
  }
  return finish(run, started, emit);
}

interface StepOpts {
  locale: Locale;
  pollMs: number;
  emit?: (e: ReplayEvent) => void;
  signal?: AbortSignal;
  /** first step replayed in full; the ones before it are fast-forwarded */
  from?: string;
  /** the only step replayed */
  only?: string;
}

function setupFailed(what: string, res: ActionsResult): string {
  return `${what} failed: ${res.error ?? 'unknown error'}`;
}

async function replaySteps(lab: Lab, sandbox: Sandbox, run: LabRun, o: StepOpts): Promise<void> {
  const ctx: CheckContext = { sandbox, defaultHost: defaultHostOf(lab, sandbox), signal: o.signal };
  if (lab.setup.length) {
    run.setup = await runActions(lab.setup, sandbox, lab, o.signal);
    if (!run.setup.ok) {
      run.failures.push(setupFailed('lab setup', run.setup));
      return;
    }
  }
  const start = o.from ? Math.max(0, lab.steps.findIndex((st) => st.id === o.from)) : 0;
  for (const step of lab.steps.slice(0, start)) {
    // fast-forward: bring the sandbox to the state the step starts from, without judging checks
    if (o.signal?.aborted) throw abortedError();
    o.emit?.({ type: 'progress', lab: lab.id, message: `fast-forward ${step.id}: setup + solve` });
    for (const [what, actions] of [['setup', step.setup], ['solve', step.solve]] as const) {
      const res = await runActions(actions, sandbox, lab, o.signal);
      if (!res.ok) {
        run.failures.push(`step ${step.id} (fast-forward to ${o.from}): ${setupFailed(what, res)}`);
        return;
      }
    }
  }
  for (const step of lab.steps.slice(start, o.only ? start + 1 : undefined)) {
    if (o.signal?.aborted) throw abortedError();
    const sr: StepRun = {
      id: step.id,
      title: textIn(step.title, o.locale),
      status: 'failed',
      checks: step.checks.map((c) => ({
        id: c.id,
        kind: kindOf(c),
        title: textIn(c.title, o.locale) || c.id,
        passesBeforeSolve: c.passesBeforeSolve,
        attempts: 0,
        status: 'not-run',
      })),
    };
    run.steps.push(sr);
    const at = `step ${step.id}`;

    if (step.setup.length) {
      o.emit?.({ type: 'phase', lab: lab.id, step: step.id, phase: 'setup' });
      sr.setup = await runActions(step.setup, sandbox, lab, o.signal);
      if (!sr.setup.ok) {
        run.failures.push(`${at}: ${setupFailed('setup', sr.setup)}`);
        return;
      }
    }

    o.emit?.({ type: 'phase', lab: lab.id, step: step.id, phase: 'before' });
    const early: CheckRun[] = [];
    for (const [i, check] of step.checks.entries()) {
      if (o.signal?.aborted) throw abortedError();
      const cr = sr.checks[i]!;
      cr.before = await runCheck(check, ctx, o.locale);
      if (cr.before.pass && !check.passesBeforeSolve) {
        cr.reason = `${at}, check ${check.id}: passed before the solve — it proves nothing (${cr.before.message})`;
        early.push(cr);
      }
      o.emit?.({ type: 'check', lab: lab.id, step: step.id, phase: 'before', check: cr, result: cr.before });
    }

    o.emit?.({ type: 'phase', lab: lab.id, step: step.id, phase: 'solve' });
    sr.solve = await runActions(step.solve, sandbox, lab, o.signal);
    if (!sr.solve.ok) {
      for (const cr of early) cr.status = 'failed';
      run.failures.push(...early.map((c) => c.reason!));
      run.failures.push(`${at}: ${setupFailed('solve', sr.solve)}`);
      return;
    }

    o.emit?.({ type: 'phase', lab: lab.id, step: step.id, phase: 'after' });
    let stepOk = early.length === 0;
    for (const [i, check] of step.checks.entries()) {
      if (o.signal?.aborted) throw abortedError();
      const cr = sr.checks[i]!;
      const { result, attempts } = await untilPass(check, ctx, o.locale, o.pollMs, o.signal);
      cr.after = result;
      cr.attempts = attempts;
      if (cr.reason) {
        cr.status = 'failed';
      } else if (!result.pass) {
        cr.status = 'failed';
        const waited = check.retry > 0 ? ` (retried for ${check.retry} s)` : '';
        cr.reason = `${at}, check ${check.id}: still fails after the solve${waited}: ${result.message}`;
        stepOk = false;
      } else {
        cr.status = 'passed';
      }
      if (cr.status === 'failed') run.failures.push(cr.reason!);
      o.emit?.({ type: 'check', lab: lab.id, step: step.id, phase: 'after', check: cr, result });
    }
    sr.status = stepOk ? 'passed' : 'failed';
    // later steps build on this one's state; with a broken step their results would mislead
    if (!stepOk && sr.checks.some((c) => c.after && !c.after.pass)) return;
  }
}

/** Replays labs, at most `jobs` at a time; results keep the order of `labs`. */
export async function replayMany(labs: LoadedLab[], opts: ReplayOptions): Promise<ReplaySummary> {
  const started = Date.now();
  const jobs = Math.max(1, Math.min(opts.jobs ?? 1, labs.length || 1));
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const uninstall = opts.handleSignals === false ? () => {} : installSignalCleanup(() => controller.abort());
  const results: LabRun[] = new Array(labs.length);
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: jobs }, async () => {
        while (next < labs.length) {
          const i = next++;
          results[i] = await replayLab(labs[i]!, { ...opts, signal: controller.signal });
        }
      }),
    );
  } finally {
    uninstall();
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
  return {
    labs: results,
    passed: results.filter((r) => r.status === 'passed').length,
    failed: results.filter((r) => r.status === 'failed').length,
    skipped: results.filter((r) => r.status === 'skipped').length,
    durationMs: Date.now() - started,
  };
}
