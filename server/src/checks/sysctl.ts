// `sysctl`: the live value of a net.* sysctl in a host's (or a named) network namespace, read from
// /proc/sys inside that netns (net.* is per namespace; a file in /etc/sysctl.d is not the live value).
import type { z } from 'zod';
import type { SysctlCheck } from '../labs/schema.js';
import type { ExecResult } from '../sandbox/types.js';
import type { CheckOutcome, Checker } from './types.js';
import { firstLine, placeOf, probe, sq } from './util.js';

export type SysctlSpec = z.infer<typeof SysctlCheck>;

/** net.ipv4.conf.eth0/100.rp_filter → /proc/sys/net/ipv4/conf/eth0.100/rp_filter */
export function sysctlPath(key: string): string {
  return `/proc/sys/${key.split('.').map((p) => p.replace(/\//g, '.')).join('/')}`;
}

export function sysctlCommand(spec: SysctlSpec): string {
  return `cat -- ${sq(sysctlPath(spec.key))}`;
}

const norm = (v: string) => v.trim().split(/\s+/).join(' ');

export function evaluateSysctl(spec: SysctlSpec, res: ExecResult, where = 'the host'): CheckOutcome {
  const expected = `${spec.key} = ${spec.equals} on ${where}`;
  if (res.exitCode !== 0) {
    const why = res.timedOut ? 'timed out' : firstLine(res.stderr) || `exit code ${res.exitCode}`;
    const missing = /No such file/.test(why);
    const actual = missing ? `${spec.key} does not exist on ${where}` : `could not read ${spec.key}: ${why}`;
    return { pass: false, expected, actual, message: missing ? `there is no sysctl ${spec.key} on ${where}` : `could not read ${spec.key} on ${where}: ${why}` };
  }
  const value = norm(res.stdout);
  const actual = `${spec.key} = ${value}`;
  if (value === norm(spec.equals)) return { pass: true, expected, actual, message: `${where}: ${actual}` };
  return { pass: false, expected, actual, message: `${spec.key} on ${where} is ${value}, not ${spec.equals}` };
}

export const sysctl: Checker<SysctlSpec> = async (spec, ctx) => {
  const res = await probe(ctx, spec, sysctlCommand(spec), 10_000);
  return evaluateSysctl(spec, res, placeOf(ctx, spec));
};
