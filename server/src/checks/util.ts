// Helpers shared by the checkers: running a probe where a check says, quoting, and
// turning long command output into something short enough for a learner to read.
import { capExceededMessage } from '../probe/bounded.js';
import type { ExecResult } from '../sandbox/types.js';
import type { CheckContext } from './types.js';
import { canonicalCidr } from '../util/cidr.js';

export interface Where {
  host?: string;
  netns?: string;
}

/** A probe printed more than the output cap: the check fails with that reason. */
export class OutputCapError extends Error {}

/** Throws OutputCapError when a probe's output passed the cap (the probe was stopped). */
export function bounded(res: ExecResult, what: string): ExecResult {
  if (res.overflow) throw new OutputCapError(`${what}: ${capExceededMessage(res.overflow)}`);
  return res;
}

/**
 * Runs a probe script on the check's host (and netns); never throws for a failing command.
 * Out-of-band (ctx.oob) the script runs with the server's own bash and tools inside the target
 * netns; `inBand` forces the sandbox's own shell (shell checks, getent).
 */
export async function probe(ctx: CheckContext, where: Where, script: string, timeoutMs = 30_000, opts: { inBand?: boolean } = {}): Promise<ExecResult> {
  const host = where.host ?? ctx.defaultHost;
  const res =
    ctx.oob && !opts.inBand
      ? await ctx.oob.run({ host, netns: where.netns }, script, timeoutMs)
      : await ctx.sandbox.exec(host, script, { netns: where.netns, timeoutMs });
  return bounded(res, `the probe on ${placeOf(ctx, where)}`);
}

/** Where a check looked, for messages: "host", "host netns red". */
export function placeOf(ctx: CheckContext, where: Where): string {
  const host = where.host ?? ctx.defaultHost;
  return where.netns ? `${host} (netns ${where.netns})` : host;
}

/** Single-quotes a value for bash. */
export function sq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The last `lines` non-empty lines of `text`, each cut to `width` characters. */
export function tail(text: string, lines = 8, width = 200): string {
  const all = text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  const kept = all.slice(-lines).map((l) => cut(l, width));
  if (all.length > lines) kept.unshift(`… (${all.length - lines} more lines)`);
  return kept.join('\n');
}

/** The first `lines` lines, for listings where the beginning matters (rule lists). */
export function head(items: string[], lines = 12, width = 200): string {
  const kept = items.slice(0, lines).map((l) => cut(l, width));
  if (items.length > lines) kept.push(`… (${items.length - lines} more)`);
  return kept.join('\n');
}

export function cut(line: string, width = 200): string {
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

/** First non-empty line of a command's error output (or stdout), for one-line messages. */
export function firstLine(text: string): string {
  return cut(text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '', 200);
}

/** Regexes from lab files: `m` so `^`/`$` work per line of multi-line output. */
export function compile(pattern: string): RegExp {
  return new RegExp(pattern, 'm');
}

/** "192.168.15.7/24" → "192.168.15.0/24"; "10.9.9.9" → "10.9.9.9/32"; "default" stays. */
export function canonicalPrefix(dst: string): string {
  if (dst === 'default' || dst === '0.0.0.0/0') return 'default';
  return canonicalCidr(dst) ?? dst;
}

/** JSON.parse that returns undefined instead of throwing (ip -j prints nothing on some errors). */
export function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
