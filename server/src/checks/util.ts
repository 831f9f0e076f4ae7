// Helpers shared by the checkers: running a probe where a check says, quoting, and
// turning long command output into something short enough for a learner to read.
import type { ExecResult } from '../sandbox/types.js';
import type { CheckContext, CheckOutcome } from './types.js';

export interface Where {
  host?: string;
  netns?: string;
}

/** Runs a probe script on the check's host (and netns); never throws for a failing command. */
export async function probe(ctx: CheckContext, where: Where, script: string, timeoutMs = 30_000): Promise<ExecResult> {
  const host = where.host ?? ctx.defaultHost;
  return ctx.sandbox.exec(host, script, { netns: where.netns, timeoutMs });
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

/** Outcome for a probe that could not run at all (netns missing, tool missing, timeout). */
export function probeFailed(expected: string, where: string, res: ExecResult): CheckOutcome {
  const why = res.timedOut ? 'timed out' : firstLine(res.stderr) || firstLine(res.stdout) || `exit code ${res.exitCode}`;
  return { pass: false, expected, actual: `could not look on ${where}: ${why}`, message: `${expected}: could not look on ${where}: ${why}` };
}

/** "192.168.15.7/24" → "192.168.15.0/24"; "10.9.9.9" → "10.9.9.9/32"; "default" stays. */
export function canonicalPrefix(dst: string): string {
  if (dst === 'default' || dst === '0.0.0.0/0') return 'default';
  const [addr, lenText] = dst.split('/');
  const len = lenText === undefined ? 32 : Number(lenText);
  const n = ipv4ToInt(addr ?? '');
  if (n === undefined || !Number.isInteger(len) || len < 0 || len > 32) return dst;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return `${intToIpv4((n & mask) >>> 0)}/${len}`;
}

export function ipv4ToInt(addr: string): number | undefined {
  const parts = addr.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** JSON.parse that returns undefined instead of throwing (ip -j prints nothing on some errors). */
export function parseJson<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
