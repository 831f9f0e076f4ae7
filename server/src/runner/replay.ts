// The replay engine: a fresh sandbox per lab in which every step goes through the replay rules of
// the step lifecycle (steps/lifecycle.ts), plus a fresh sandbox per near-miss and alternative,
// fast-forwarded to its step. Sandboxes are created and torn down here (teardown always; nothing
// may be left); what runs inside them is the lifecycle's business.
import { randomBytes } from 'node:crypto';
import pLimit, { type LimitFunction } from 'p-limit';
import { textIn, type Lab, type Locale, type LoadedLab } from '../labs/schema.js';
import type { Capabilities, Provider, ProviderName, Sandbox, SandboxRef } from '../sandbox/types.js';
import { actionsFailed, bringToStep, fastForward, proveFaultStep, proveStep, runLabSetup, type StepContext } from '../steps/lifecycle.js';
import { allFaults, labWithFaults } from '../steps/faults.js';
import { emptyVariantRun, proveVariant, variantsOf, type Variant } from '../steps/variants.js';
import type { VariantRun } from '../steps/types.js';
import { installSignalCleanup, track, untrack } from './cleanup.js';
import type { LabRun, ReplayEvent, ReplaySummary } from './types.js';
import { unmet } from '../sandbox/capabilities.js';
import { ProviderRegistry } from '../sandbox/registry.js';

export interface ReplayOptions {
  /** where providers and their capabilities come from; a bare provider stands for a registry of it alone */
  provider: ProviderRegistry | Provider;
  /** sandboxes in use at the same time: labs and their variants (replayMany) */
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
  /** false: do not prove the steps' near-misses and alternatives */
  variants?: boolean;
  /** prove only these variants (`<step>/<id>`), and skip the lab's own replay */
  only?: string[];
}

function newSessionId(): string {
  return `replay-${randomBytes(5).toString('hex')}`;
}

const registryOf = (source: ProviderRegistry | Provider): ProviderRegistry => (source instanceof ProviderRegistry ? source : ProviderRegistry.of(source));

async function resolveProvider(providers: ProviderRegistry, name: ProviderName): Promise<Provider | string> {
  try {
    return await providers.get(name);
  } catch (err) {
    return `the ${name} provider is not available: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The first unmet requirement, in words; undefined when the host can run the lab. */
export function unmetRequirement(lab: Lab, caps: Capabilities): string | undefined {
  const [first] = Object.entries(unmet(caps, lab.requires));
  return first && `requires ${first[0]}: ${first[1]}`;
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
    variants: [],
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

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The variants a replay proves: those of the replayed steps, or exactly the ones named. */
export function selectVariants(lab: Lab, opts: Pick<ReplayOptions, 'from' | 'step' | 'only' | 'variants'>): { variants: Array<{ index: number; v: Variant }>; error?: string } {
  const all = lab.steps.flatMap((step, index) => variantsOf(step).map((v) => ({ index, v })));
  if (opts.only?.length) {
    const out: Array<{ index: number; v: Variant }> = [];
    for (const name of opts.only) {
      const hit = all.find(({ index, v }) => `${lab.steps[index]!.id}/${v.spec.id}` === name);
      if (!hit) {
        const known = all.map(({ index, v }) => `${lab.steps[index]!.id}/${v.spec.id}`);
        return { variants: [], error: `no variant '${name}' in lab ${lab.id} (${known.length ? `variants: ${known.join(', ')}` : 'it declares none'})` };
      }
      out.push(hit);
    }
    return { variants: out };
  }
  if (opts.variants === false) return { variants: [] };
  const first = opts.step ?? opts.from;
  const start = first ? lab.steps.findIndex((s) => s.id === first) : 0;
  return { variants: all.filter(({ index }) => index >= start && (opts.step === undefined || index === start)) };
}

interface SandboxUse {
  createMs?: number;
  teardownMs?: number;
  leftovers: string[];
  failures: string[];
  kept: boolean;
}

/** A fresh sandbox for `fn`; torn down afterwards (unless `keep()` says so), and proven gone. */
async function inSandbox(
  provider: Provider,
  loaded: LoadedLab,
  sessionId: string,
  opts: ReplayOptions,
  fn: (sandbox: Sandbox, createMs: number) => Promise<void>,
  keep: () => boolean = () => false,
): Promise<SandboxUse> {
  const lab = loaded.lab;
  const use: SandboxUse = { leftovers: [], failures: [], kept: false };
  let ref: SandboxRef = { provider: provider.name, sessionId, labId: lab.id };
  track(provider, ref);
  try {
    const t0 = Date.now();
    const sandbox = await provider.create(lab, {
      sessionId,
      labDir: loaded.dir,
      signal: opts.signal,
      onProgress: (m) => opts.onEvent?.({ type: 'progress', lab: lab.id, message: m }),
    });
    ref = sandbox.ref;
    track(provider, ref);
    use.createMs = Date.now() - t0;
    await fn(sandbox, use.createMs);
  } catch (err) {
    use.failures.push(message(err));
  } finally {
    const t1 = Date.now();
    if (use.createMs !== undefined && !opts.signal?.aborted && keep()) {
      use.kept = true;
      untrack(sessionId);
    } else {
      try {
        await provider.destroy(ref);
      } catch (err) {
        use.failures.push(`teardown failed: ${message(err)}`);
      }
      try {
        use.leftovers = await provider.leftovers(sessionId);
        if (use.leftovers.length) use.failures.push(`left behind after teardown: ${use.leftovers.join(', ')}`);
        else untrack(sessionId);
      } catch (err) {
        use.failures.push(`could not verify the teardown: ${message(err)}`);
      }
      use.teardownMs = Date.now() - t1;
    }
  }
  return use;
}

/**
 * Replays one lab: its steps in one fresh sandbox, and each selected variant in a fresh sandbox of
 * its own. Every sandbox goes through `limit`, so `jobs` bounds sandboxes, not labs.
 */
export async function replayLab(loaded: LoadedLab, opts: ReplayOptions, limit: LimitFunction = pLimit(Math.max(1, opts.jobs ?? 1))): Promise<LabRun> {
  const { lab } = loaded;
  const locale = opts.locale ?? 'en';
  const emit = opts.onEvent;
  const started = Date.now();
  const run = emptyRun(loaded, locale);
  let announced = false;
  const announce = () => {
    if (!announced) emit?.({ type: 'lab-start', lab: lab.id });
    announced = true;
  };

  const providers = registryOf(opts.provider);
  const provider = await resolveProvider(providers, lab.environment.provider);
  if (typeof provider === 'string') {
    announce();
    run.status = 'skipped';
    run.reason = provider;
    return finish(run, started, emit);
  }
  let caps: Capabilities;
  try {
    caps = await providers.capabilities(provider.name);
  } catch (err) {
    announce();
    run.failures.push(`could not find out what this host can run: ${message(err)}`);
    return finish(run, started, emit);
  }
  const unmet = unmetRequirement(lab, caps);
  if (unmet) {
    announce();
    run.status = 'skipped';
    run.reason = unmet;
    return finish(run, started, emit);
  }
  for (const wanted of [opts.from, opts.step]) {
    if (wanted !== undefined && !lab.steps.some((st) => st.id === wanted)) {
      announce();
      run.failures.push(`no step '${wanted}' in lab ${lab.id} (steps: ${lab.steps.map((st) => st.id).join(', ')})`);
      return finish(run, started, emit);
    }
  }
  const selected = selectVariants(lab, opts);
  if (selected.error) {
    announce();
    run.failures.push(selected.error);
    return finish(run, started, emit);
  }

  const steps = async (): Promise<void> => {
    announce();
    if (opts.signal?.aborted) {
      run.failures.push('interrupted before it started');
      return;
    }
    const sessionId = newSessionId();
    run.sessionId = sessionId;
    const use = await inSandbox(
      provider,
      loaded,
      sessionId,
      opts,
      async (sandbox, ms) => {
        emit?.({ type: 'sandbox-ready', lab: lab.id, sessionId, ms });
        await replaySteps(loaded, sandbox, run, opts);
      },
      () => opts.keep === true && run.failures.length > 0,
    );
    run.failures.push(...use.failures);
    run.leftovers = use.leftovers;
    run.timings = { createMs: use.createMs, teardownMs: use.teardownMs };
    if (use.kept) run.kept = true;
  };

  run.variants = selected.variants.map(({ index, v }) => emptyVariantRun(lab.steps[index]!, v, locale));
  const variant = async (index: number, v: Variant, vr: VariantRun): Promise<void> => {
    announce();
    const t0 = Date.now();
    if (opts.signal?.aborted) {
      vr.reason = `step ${vr.step}, ${vr.kind} ${vr.id}: interrupted before it started`;
    } else {
      vr.sessionId = newSessionId();
      const use = await inSandbox(provider, loaded, vr.sessionId, opts, async (sandbox) => {
        // a fault's variant runs with that fault alone injected; every other fault is injected (and repaired on the way)
        const vlab = labWithFaults(lab, { ...allFaults(lab), ...(v.fault ? { [lab.steps[index]!.id]: [v.fault] } : {}) });
        const ctx: StepContext = { lab: vlab, sandbox, locale, signal: opts.signal, pollMs: opts.pollMs };
        const b0 = Date.now();
        const ready = await bringToStep(ctx, index);
        vr.timings = { ...vr.timings, bringMs: Date.now() - b0 };
        if (!ready.ok) {
          vr.status = 'failed';
          vr.reason = `step ${vr.step}, ${vr.kind} ${vr.id}: could not bring a sandbox to the step: ${ready.error}`;
          return;
        }
        await proveVariant(ctx, vlab.steps[index]!, v, vr);
      });
      vr.leftovers = use.leftovers;
      vr.timings = { ...vr.timings, createMs: use.createMs, teardownMs: use.teardownMs };
      if (use.failures.length) {
        const why = `step ${vr.step}, ${vr.kind} ${vr.id}: ${use.failures.join('; ')}`;
        vr.reason = vr.status === 'failed' && vr.reason ? `${vr.reason}; ${why}` : why;
        vr.status = 'failed';
      }
    }
    if (vr.status === 'not-run') vr.status = 'failed';
    vr.durationMs = Date.now() - t0;
    emit?.({ type: 'variant', lab: lab.id, result: vr });
  };

  const tasks: Array<Promise<void>> = [];
  if (!opts.only?.length) tasks.push(limit(steps));
  selected.variants.forEach(({ index, v }, i) => tasks.push(limit(() => variant(index, v, run.variants[i]!))));
  await Promise.all(tasks);
  for (const vr of run.variants) if (vr.status === 'failed') run.failures.push(vr.reason!);
  return finish(run, started, emit);
}

async function replaySteps(loaded: LoadedLab, sandbox: Sandbox, run: LabRun, opts: ReplayOptions): Promise<void> {
  const lab = loaded.lab;
  const emit = opts.onEvent;
  const ctx: StepContext = { lab, sandbox, locale: opts.locale ?? 'en', signal: opts.signal, pollMs: opts.pollMs };
  if (lab.setup.length) {
    run.setup = await runLabSetup(ctx);
    if (!run.setup.ok) {
      run.failures.push(actionsFailed('lab setup', run.setup));
      return;
    }
  }
  const first = opts.step ?? opts.from;
  const start = first ? Math.max(0, lab.steps.findIndex((st) => st.id === first)) : 0;
  // fast-forward: bring the sandbox to the state the step starts from, without judging checks
  const ff = await fastForward(
    ctx,
    lab.steps.slice(0, start),
    (step) => emit?.({ type: 'progress', lab: lab.id, message: `fast-forward ${step.id}: setup + solve` }),
    first,
  );
  if (opts.signal?.aborted) throw new Error('interrupted');
  if (!ff.ok) {
    run.failures.push(ff.error!);
    return;
  }
  for (const step of lab.steps.slice(start, opts.step ? start + 1 : undefined)) {
    if (opts.signal?.aborted) throw new Error('interrupted');
    const prove = step.faults.length ? proveFaultStep : proveStep;
    const proof = await prove(ctx, step, {
      hooks: {
        phase: (phase) => emit?.({ type: 'phase', lab: lab.id, step: step.id, phase }),
        check: (phase, check, result) => emit?.({ type: 'check', lab: lab.id, step: step.id, phase, check, result }),
        again: (again) => emit?.({ type: 'again', lab: lab.id, step: step.id, again }),
      },
    });
    run.steps.push(proof.run);
    run.failures.push(...proof.failures);
    if (opts.signal?.aborted) throw new Error('interrupted');
    if (!proof.proceed) return;
  }
}

/** Replays labs with at most `jobs` sandboxes at a time; results keep the order of `labs`. */
export async function replayMany(labs: LoadedLab[], opts: ReplayOptions): Promise<ReplaySummary> {
  const started = Date.now();
  const limit = pLimit(Math.max(1, opts.jobs ?? 1));
  // one registry for the whole run, so that what the host can run is probed once
  const providers = registryOf(opts.provider);
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const uninstall = opts.handleSignals === false ? () => {} : installSignalCleanup(() => controller.abort());
  let results: LabRun[];
  try {
    results = await Promise.all(labs.map((l) => replayLab(l, { ...opts, provider: providers, signal: controller.signal }, limit)));
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
