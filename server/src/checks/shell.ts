// `shell`: the escape hatch. Exit code 0 passes (and stdout matches `outputMatches` if set).
import type { z } from 'zod';
import type { ShellCheck } from '../labs/schema.js';
import type { ExecResult } from '../sandbox/types.js';
import type { CheckOutcome, Checker } from './types.js';
import { compile, cut, placeOf, probe, tail } from './util.js';

export type ShellSpec = z.infer<typeof ShellCheck>;

export const SHELL_TIMEOUT_MS = 30_000;

export function evaluateShell(spec: ShellSpec, res: ExecResult, where = 'the host'): CheckOutcome {
  const command = cut(spec.run.trim().split('\n')[0] ?? '', 80) + (spec.run.trim().includes('\n') ? ' …' : '');
  const expected = spec.outputMatches
    ? `\`${command}\` exits 0 and its output matches /${spec.outputMatches}/`
    : `\`${command}\` exits 0`;
  const out = tail(res.stdout, 8);
  const err = tail(res.stderr, 5);
  const shown = [out && `stdout:\n${out}`, err && `stderr:\n${err}`].filter(Boolean).join('\n') || '(no output)';
  if (res.timedOut) {
    return { pass: false, expected, actual: `timed out on ${where}\n${shown}`, message: `\`${command}\` timed out on ${where}` };
  }
  if (res.exitCode !== 0) {
    const why = tail(res.stderr, 1) || tail(res.stdout, 1);
    return {
      pass: false,
      expected,
      actual: `exit code ${res.exitCode}\n${shown}`,
      message: `\`${command}\` failed on ${where} (exit ${res.exitCode})${why ? `: ${why}` : ''}`,
    };
  }
  if (spec.outputMatches && !compile(spec.outputMatches).test(res.stdout)) {
    return {
      pass: false,
      expected,
      actual: `exit code 0\n${shown}`,
      message: `\`${command}\` succeeded on ${where} but its output does not match /${spec.outputMatches}/`,
    };
  }
  return { pass: true, expected, actual: `exit code 0\n${shown}`, message: `\`${command}\` succeeded on ${where}` };
}

export const shell: Checker<ShellSpec> = async (spec, ctx) => {
  const res = await probe(ctx, spec, spec.run, SHELL_TIMEOUT_MS, { inBand: true });
  return evaluateShell(spec, res, placeOf(ctx, spec));
};
