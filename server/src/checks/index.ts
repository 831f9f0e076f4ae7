// Runs one check of any kind and wraps its outcome for the learner (title, hint, timing).
import { CHECK_KINDS, textIn, type Check, type CheckKind, type Lab, type Locale, type Step } from '../labs/schema.js';
import type { Sandbox } from '../sandbox/types.js';
import { dns } from './dns.js';
import { http } from './http.js';
import { iptables } from './iptables.js';
import { link } from './link.js';
import { ping } from './ping.js';
import { route } from './route.js';
import { shell } from './shell.js';
import type { CheckContext, CheckOutcome, CheckResult, Checker } from './types.js';

export type { CheckContext, CheckOutcome, CheckResult } from './types.js';

type AnyChecker = Checker<any>;

const builtin: Partial<Record<CheckKind, AnyChecker>> = { shell, ping, http, dns, iptables, route, link };

let kubectlChecker: Promise<AnyChecker | undefined> | undefined;

/** The kubectl checker belongs to the kind provider's module; it is optional in this tree. */
async function loadKubectl(): Promise<AnyChecker | undefined> {
  kubectlChecker ??= (async () => {
    const specifier = './kubectl.js';
    try {
      const mod = (await import(specifier)) as Record<string, unknown>;
      const fn = mod.kubectl ?? mod.kubectlChecker ?? mod.checkKubectl ?? mod.default;
      return typeof fn === 'function' ? (fn as AnyChecker) : undefined;
    } catch {
      return undefined;
    }
  })();
  return kubectlChecker;
}

export function kindOf(check: Check): CheckKind {
  const kind = CHECK_KINDS.find((k) => k in check);
  if (!kind) throw new Error(`check ${check.id} has no known kind`);
  return kind;
}

export function defaultHostOf(lab: Lab, sandbox: Sandbox): string {
  return lab.environment.hosts[0]?.name ?? sandbox.hosts[0] ?? 'host';
}

function title(check: Check, kind: CheckKind, spec: Record<string, unknown>, locale: Locale): string {
  const t = textIn(check.title, locale);
  if (t) return t;
  const target = spec.to ?? spec.url ?? spec.name ?? spec.chain ?? spec.dst ?? spec.get ?? '';
  return `${kind}${target ? ` ${String(target)}` : ''}`;
}

export async function runCheck(check: Check, ctx: CheckContext, locale: Locale = 'en'): Promise<CheckResult> {
  const kind = kindOf(check);
  const spec = (check as Record<string, unknown>)[kind] as Record<string, unknown>;
  const started = Date.now();
  let outcome: CheckOutcome;
  try {
    const checker = kind === 'kubectl' ? await loadKubectl() : builtin[kind];
    if (!checker) {
      outcome = {
        pass: false,
        expected: `a ${kind} check`,
        actual: 'no checker is available for this kind here',
        message: 'kubectl checks need the kind provider',
      };
    } else {
      outcome = await checker(spec, ctx);
    }
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    outcome = { pass: false, expected: `the ${kind} check runs`, actual: `error: ${why}`, message: `the check could not run: ${why}` };
  }
  const hint = textIn(check.hint, locale);
  return {
    id: check.id,
    kind,
    title: title(check, kind, spec, locale),
    ...(hint ? { hint } : {}),
    ...outcome,
    durationMs: Date.now() - started,
  };
}

/** Every check of a step, in order, against a live sandbox (the server's Check button). */
export async function runStepChecks(step: Step, sandbox: Sandbox, lab: Lab, locale: Locale = 'en', signal?: AbortSignal): Promise<CheckResult[]> {
  const ctx: CheckContext = { sandbox, defaultHost: defaultHostOf(lab, sandbox), signal };
  const results: CheckResult[] = [];
  for (const check of step.checks) results.push(await runCheck(check, ctx, locale));
  return results;
}
