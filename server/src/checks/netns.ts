// `netns`: a named network namespace exists on a host, exactly as `ip netns add NAME` makes it: an
// nsfs mount of a network namespace at /run/netns/NAME. Read from the host's mountinfo (from
// outside out-of-band), so an empty file or a symlink named like a namespace does not count.
import type { z } from 'zod';
import type { NetnsCheck } from '../labs/schema.js';
import { namedNetnsList, namedNetnsMount, parseMountinfo, type MountEntry } from '../probe/netns.js';
import type { CheckOutcome, Checker } from './types.js';
import { firstLine, probe } from './util.js';

export type NetnsSpec = z.infer<typeof NetnsCheck>;

export function evaluateNetns(spec: NetnsSpec, mounts: MountEntry[], host: string): CheckOutcome {
  const expected = spec.absent ? `no network namespace ${spec.name} on ${host}` : `a network namespace named exactly ${spec.name} on ${host}`;
  const names = namedNetnsList(mounts);
  const actual = names.length ? `network namespaces: ${names.join(', ')}` : 'no named network namespaces';
  const found = namedNetnsMount(mounts, spec.name);
  if (spec.absent) {
    if (found) return { pass: false, expected, actual, message: `${spec.name} still exists on ${host}` };
    return { pass: true, expected, actual, message: `there is no network namespace ${spec.name} on ${host}` };
  }
  if (found) return { pass: true, expected, actual, message: `${host} has network namespace ${spec.name}` };
  const near = names.filter((n) => n.toLowerCase().includes(spec.name.toLowerCase()) || spec.name.toLowerCase().includes(n.toLowerCase()));
  return {
    pass: false,
    expected,
    actual,
    message: `there is no network namespace ${spec.name} on ${host}${near.length ? ` (there is ${near.join(', ')}: the name must match exactly)` : names.length ? ` (it has ${names.join(', ')})` : ''}`,
  };
}

export const netns: Checker<NetnsSpec> = async (spec, ctx) => {
  const host = spec.host ?? ctx.defaultHost;
  if (ctx.oob) return evaluateNetns(spec, await ctx.oob.mounts(host), host);
  const res = await probe(ctx, { host }, 'cat /proc/self/mountinfo', 10_000);
  if (res.exitCode !== 0) {
    const why = firstLine(res.stderr) || `exit code ${res.exitCode}`;
    return { pass: false, expected: `network namespace ${spec.name} on ${host}`, actual: `could not read the mounts: ${why}`, message: `could not look for ${spec.name} on ${host}: ${why}` };
  }
  return evaluateNetns(spec, parseMountinfo(res.stdout), host);
};
