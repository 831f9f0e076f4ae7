// `kubectl`: looks at the cluster with kubectl on the lab's kubectl host (kind: the
// control-plane node). `get` reads a resource (optionally one JSONPath) and compares it
// (equals / matches / exists); `exec` runs `sh -c` inside a pod (curl, dig from the cluster).
import type { z } from 'zod';
import type { KubectlCheck } from '../labs/schema.js';
import type { ExecResult } from '../sandbox/types.js';
import type { CheckContext, CheckOutcome, Checker } from './types.js';
import { compile, cut, firstLine, sq, tail } from './util.js';

export type KubectlSpec = z.infer<typeof KubectlCheck>;

const TIMEOUT_MS = 30_000;

function nsArgs(spec: KubectlSpec): string {
  return spec.namespace ? ` -n ${sq(spec.namespace)}` : '';
}

/** The command a `get` check runs (shown to the learner so they can run it themselves). */
export function getCommand(spec: KubectlSpec): string {
  const what = (spec.get ?? '').trim().split(/\s+/).map(sq).join(' ');
  const sel = spec.selector ? ` -l ${sq(spec.selector)}` : '';
  const out = spec.jsonpath ? ` -o jsonpath=${sq(spec.jsonpath)}` : ' -o name';
  return `kubectl get ${what}${nsArgs(spec)}${sel}${out}`;
}

export function execCommand(spec: KubectlSpec): string {
  const e = spec.exec!;
  const container = e.container ? ` -c ${sq(e.container)}` : '';
  return `kubectl exec${nsArgs(spec)} ${sq(e.pod)}${container} -- sh -c ${sq(e.run)}`;
}

const notFound = (res: ExecResult): boolean => /NotFound|not found/i.test(res.stderr);

function describeTarget(spec: KubectlSpec): string {
  const ns = spec.namespace ? ` in namespace ${spec.namespace}` : '';
  const sel = spec.selector ? ` with labels ${spec.selector}` : '';
  return `${spec.get}${sel}${ns}`;
}

/** Judges the output of `getCommand(spec)`. */
export function evaluateGet(spec: KubectlSpec, res: ExecResult): CheckOutcome {
  const target = describeTarget(spec);
  const field = spec.jsonpath ? ` ${spec.jsonpath}` : '';
  const command = getCommand(spec);
  const wantAbsent = spec.exists === false;
  const expected =
    spec.equals !== undefined
      ? `${target}${field} = "${spec.equals}"`
      : spec.matches !== undefined
        ? `${target}${field} matches /${spec.matches}/`
        : wantAbsent
          ? `no ${target}`
          : `${target}${field ? `${field} is set` : ' exists'}`;
  if (res.timedOut) return { pass: false, expected, actual: `\`${command}\` timed out`, message: `${expected}: kubectl timed out` };
  const out = res.stdout.trim();
  if (res.exitCode !== 0) {
    if (notFound(res)) {
      if (wantAbsent) return { pass: true, expected, actual: firstLine(res.stderr), message: `${target} does not exist` };
      return { pass: false, expected, actual: firstLine(res.stderr), message: `${target} does not exist (${firstLine(res.stderr)})` };
    }
    return { pass: false, expected, actual: `exit code ${res.exitCode}: ${tail(res.stderr, 3) || tail(res.stdout, 3)}`, message: `\`${command}\` failed: ${firstLine(res.stderr) || firstLine(res.stdout)}` };
  }
  if (wantAbsent) {
    return out === ''
      ? { pass: true, expected, actual: '(nothing)', message: `no ${target}` }
      : { pass: false, expected, actual: tail(out, 5), message: `${target} still exists: ${cut(out.split('\n')[0] ?? '', 120)}` };
  }
  if (spec.equals !== undefined) {
    return out === spec.equals.trim()
      ? { pass: true, expected, actual: out, message: `${target}${field} is "${cut(out, 120)}"` }
      : { pass: false, expected, actual: out === '' ? '(empty)' : tail(out, 5), message: `${target}${field} is "${cut(out, 120) || '(empty)'}", expected "${spec.equals}"` };
  }
  if (spec.matches !== undefined) {
    return compile(spec.matches).test(out)
      ? { pass: true, expected, actual: tail(out, 5), message: `${target}${field} matches /${spec.matches}/` }
      : { pass: false, expected, actual: out === '' ? '(empty)' : tail(out, 5), message: `${target}${field} is "${cut(out, 120) || '(empty)'}", which does not match /${spec.matches}/` };
  }
  return out !== ''
    ? { pass: true, expected, actual: tail(out, 5), message: `${target}${field ? `${field} is "${cut(out, 120)}"` : ' exists'}` }
    : { pass: false, expected, actual: '(empty)', message: spec.jsonpath ? `${target}${field} is empty` : `no ${target} found` };
}

/** Judges the output of `execCommand(spec)`. */
export function evaluateExec(spec: KubectlSpec, res: ExecResult): CheckOutcome {
  const e = spec.exec!;
  const run = cut(e.run.trim().split('\n')[0] ?? '', 80);
  const where = `pod ${e.pod}${spec.namespace ? ` (namespace ${spec.namespace})` : ''}`;
  const expected = e.outputMatches ? `\`${run}\` in ${where} exits 0 and prints /${e.outputMatches}/` : `\`${run}\` in ${where} exits 0`;
  const shown = [tail(res.stdout, 8) && `stdout:\n${tail(res.stdout, 8)}`, tail(res.stderr, 4) && `stderr:\n${tail(res.stderr, 4)}`].filter(Boolean).join('\n') || '(no output)';
  if (res.timedOut) return { pass: false, expected, actual: `timed out\n${shown}`, message: `\`${run}\` timed out in ${where}` };
  if (res.exitCode !== 0) {
    if (/pods? "[^"]*" not found|NotFound/.test(res.stderr)) {
      return { pass: false, expected, actual: firstLine(res.stderr), message: `${where} does not exist` };
    }
    return { pass: false, expected, actual: `exit code ${res.exitCode}\n${shown}`, message: `\`${run}\` failed in ${where} (exit ${res.exitCode}): ${firstLine(res.stderr) || firstLine(res.stdout)}` };
  }
  if (e.outputMatches && !compile(e.outputMatches).test(res.stdout)) {
    return { pass: false, expected, actual: shown, message: `\`${run}\` in ${where} printed "${cut(firstLine(res.stdout), 120) || '(nothing)'}", which does not match /${e.outputMatches}/` };
  }
  return { pass: true, expected, actual: shown, message: `\`${run}\` succeeded in ${where}` };
}

function both(a: CheckOutcome, b: CheckOutcome): CheckOutcome {
  if (!a.pass) return a;
  return { pass: b.pass, expected: `${a.expected}; ${b.expected}`, actual: `${a.actual}\n${b.actual}`, message: b.pass ? `${a.message}; ${b.message}` : b.message };
}

async function run(ctx: CheckContext, command: string): Promise<ExecResult> {
  return ctx.sandbox.exec(ctx.defaultHost, command, { timeoutMs: TIMEOUT_MS });
}

export const kubectl: Checker<KubectlSpec> = async (spec, ctx) => {
  if (!spec.get && !spec.exec) {
    return { pass: false, expected: 'a kubectl check with `get` or `exec`', actual: 'neither is set', message: 'this kubectl check has neither `get` nor `exec`' };
  }
  let outcome: CheckOutcome | undefined;
  if (spec.get) outcome = evaluateGet(spec, await run(ctx, getCommand(spec)));
  if (spec.exec && (!outcome || outcome.pass)) {
    const ex = evaluateExec(spec, await run(ctx, execCommand(spec)));
    outcome = outcome ? both(outcome, ex) : ex;
  }
  return outcome!;
};
