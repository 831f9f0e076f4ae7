// Runs the checks of a step and wraps each outcome for the learner (title, hint, timing, where the
// probe ran). Typed checks of a docker sandbox read kernel state from outside (../probe/); see
// OUT_OF_BAND_KINDS. A step's checks run together: typed ones in parallel (capped), in-band shell
// checks of one host share a single exec (batch.ts).
import pLimit from 'p-limit';
import { CHECK_KINDS, textIn, type Check, type CheckKind, type Lab, type Locale, type Step } from '../labs/schema.js';
import { hintLevels } from '../labs/hints.js';
import { probeMode } from '../probe/mode.js';
import { OutOfBand } from '../probe/outofband.js';
import type { Tool } from '../probe/tools.js';
import type { Sandbox } from '../sandbox/types.js';
import { capture } from './capture.js';
import { dns } from './dns.js';
import { file } from './file.js';
import { http } from './http.js';
import { iptables } from './iptables.js';
import { kubectl } from './kubectl.js';
import { link } from './link.js';
import { netns } from './netns.js';
import { ping } from './ping.js';
import { route } from './route.js';
import { runBatch } from './batch.js';
import { evaluateShell, shell, SHELL_TIMEOUT_MS, type ShellSpec } from './shell.js';
import { sysctl } from './sysctl.js';
import type { CheckContext, CheckOutcome, CheckResult, Checker, ProbeVia } from './types.js';
import { bounded, OutputCapError, placeOf } from './util.js';

export type { CheckContext, CheckOutcome, CheckResult } from './types.js';

type AnyChecker = Checker<any>;

const builtin: Partial<Record<CheckKind, AnyChecker>> = { shell, ping, http, dns, iptables, route, link, netns, sysctl, file, capture, kubectl };

/**
 * Kinds that read kernel state from outside the sandbox (docker provider, a server able to enter
 * namespaces), with the server tools each needs; a kind whose tool is missing runs in-band.
 * `shell` and `kubectl` always run in-band, and so does `dns` with `resolver: system`.
 */
export const OUT_OF_BAND_KINDS: Partial<Record<CheckKind, Tool[]>> = {
  link: ['ip'],
  route: ['ip'],
  iptables: ['iptables-nft'],
  ping: ['ping'],
  http: ['curl'],
  dns: ['dig'],
  netns: [],
  sysctl: ['cat'],
  file: [],
  capture: ['tcpdump', 'ping'],
};

/** How many checks of one step run at once. */
const PARALLEL = 4;

export function runsOutOfBand(kind: CheckKind, spec: Record<string, unknown>): boolean {
  return kind in OUT_OF_BAND_KINDS && !(kind === 'dns' && spec.resolver === 'system');
}

/** Decides once per context whether this sandbox is probed out-of-band (ctx.oob) or in-band (null). */
export async function resolveProbes(ctx: CheckContext): Promise<OutOfBand | null> {
  if (ctx.oob !== undefined) return ctx.oob;
  const access = ctx.sandbox.probeAccess;
  if (!access) return (ctx.oob = null);
  const mode = await probeMode();
  ctx.oob = mode.mode === 'out-of-band' ? new OutOfBand(access, mode, ctx.signal) : null;
  return ctx.oob;
}

export function kindOf(check: Check): CheckKind {
  const kind = CHECK_KINDS.find((k) => k in check);
  if (!kind) throw new Error(`check ${check.id} has no known kind`);
  return kind;
}

export function specOf(check: Check): Record<string, unknown> {
  return (check as Record<string, unknown>)[kindOf(check)] as Record<string, unknown>;
}

export function defaultHostOf(lab: Lab, sandbox: Sandbox): string {
  return lab.environment.hosts[0]?.name ?? sandbox.hosts[0] ?? 'host';
}

function title(check: Check, kind: CheckKind, spec: Record<string, unknown>, locale: Locale): string {
  const t = textIn(check.title, locale);
  if (t) return t;
  const target = spec.to ?? spec.url ?? spec.name ?? spec.chain ?? spec.dst ?? spec.key ?? spec.path ?? spec.interface ?? spec.get ?? '';
  return `${kind}${target ? ` ${String(target)}` : ''}`;
}

/** The learner-facing result of an outcome (or of an error while checking). */
export function wrapResult(check: Check, locale: Locale, started: number, via: ProbeVia, got: CheckOutcome | { error: unknown }): CheckResult {
  const kind = kindOf(check);
  let outcome: CheckOutcome;
  if ('error' in got) {
    const err = got.error;
    if (err instanceof OutputCapError) {
      outcome = { pass: false, expected: `the ${kind} check's probe prints at most 1 MiB`, actual: err.message, message: err.message };
    } else {
      const why = err instanceof Error ? err.message : String(err);
      outcome = { pass: false, expected: `the ${kind} check runs`, actual: `error: ${why}`, message: `the check could not run: ${why}` };
    }
  } else outcome = got;
  const hints = hintLevels(check.hint, locale);
  return {
    id: check.id,
    kind,
    title: title(check, kind, specOf(check), locale),
    ...(hints.length ? { hint: hints[0], hints } : {}),
    ...outcome,
    durationMs: Date.now() - started,
    via,
  };
}

export async function runCheck(check: Check, ctx: CheckContext, locale: Locale = 'en'): Promise<CheckResult> {
  const kind = kindOf(check);
  const spec = specOf(check);
  const started = Date.now();
  let via: ProbeVia = 'in-band';
  try {
    const oob = await resolveProbes(ctx);
    const tools = OUT_OF_BAND_KINDS[kind];
    const outside = Boolean(oob && tools && runsOutOfBand(kind, spec) && tools.every((t) => oob.has(t)));
    if (outside) via = 'out-of-band';
    const checker = builtin[kind];
    if (!checker) {
      return wrapResult(check, locale, started, via, {
        pass: false,
        expected: `a ${kind} check`,
        actual: 'no checker is available for this kind here',
        message: `no ${kind} checker in this build`,
      });
    }
    return wrapResult(check, locale, started, via, await checker(spec, outside ? ctx : { ...ctx, oob: null }));
  } catch (error) {
    return wrapResult(check, locale, started, via, { error });
  }
}

/** The in-band shell checks of one host (and netns) of a step, in one exec (batch.ts). */
async function runShellBatch(checks: Check[], ctx: CheckContext, locale: Locale): Promise<CheckResult[]> {
  const started = Date.now();
  const specs = checks.map((c) => specOf(c) as ShellSpec);
  const where = { host: specs[0]!.host ?? ctx.defaultHost, netns: specs[0]!.netns };
  try {
    const results = await runBatch(ctx.sandbox, where.host, where.netns, specs.map((spec) => ({ script: spec.run, timeoutMs: SHELL_TIMEOUT_MS })));
    return checks.map((check, i) => {
      try {
        const place = placeOf(ctx, where);
        return wrapResult(check, locale, started, 'in-band', evaluateShell(specs[i]!, bounded(results[i]!, `the probe on ${place}`), place));
      } catch (error) {
        return wrapResult(check, locale, started, 'in-band', { error });
      }
    });
  } catch (error) {
    return checks.map((check) => wrapResult(check, locale, started, 'in-band', { error }));
  }
}

/**
 * Every check of a step against a live sandbox (the server's Check button and replay), results in
 * step order. Independent checks run in parallel (at most PARALLEL at once); the in-band shell
 * checks of one host share one exec; captures run last, one at a time, so that no other check's
 * traffic lands in them.
 */
export async function runStepChecks(step: Step, sandbox: Sandbox, lab: Lab, locale: Locale = 'en', signal?: AbortSignal): Promise<CheckResult[]> {
  const ctx: CheckContext = { sandbox, defaultHost: defaultHostOf(lab, sandbox), signal };
  await resolveProbes(ctx);
  const results: CheckResult[] = new Array(step.checks.length);
  const shells = new Map<string, number[]>();
  const captures: number[] = [];
  const singles: number[] = [];
  step.checks.forEach((check, i) => {
    const kind = kindOf(check);
    if (kind === 'shell') {
      const spec = specOf(check) as ShellSpec;
      const key = `${spec.host ?? ctx.defaultHost}\0${spec.netns ?? ''}`;
      shells.set(key, [...(shells.get(key) ?? []), i]);
    } else if (kind === 'capture') captures.push(i);
    else singles.push(i);
  });
  for (const group of shells.values()) if (group.length === 1) singles.push(group[0]!);
  singles.sort((a, b) => a - b); // started in step order
  const limit = pLimit(PARALLEL);
  await Promise.all([
    ...[...shells.values()]
      .filter((g) => g.length > 1)
      .map((g) =>
        limit(async () => {
          const got = await runShellBatch(g.map((i) => step.checks[i]!), ctx, locale);
          g.forEach((i, k) => (results[i] = got[k]!));
        }),
      ),
    ...singles.map((i) => limit(async () => void (results[i] = await runCheck(step.checks[i]!, ctx, locale)))),
  ]);
  for (const i of captures) results[i] = await runCheck(step.checks[i]!, ctx, locale);
  return results;
}
