// `link`: reads `ip -j -d link show dev X` (type, state, master, mtu) and `ip -j addr show dev X`
// (addresses). `state: UP` means operationally up: administratively up AND a carrier (LOWER_UP;
// a veth whose peer is down is not up, as `ip -br link` shows). `adminState` reads the admin flag
// only (what `ip link set X up` does). The name always matches exactly.
import type { z } from 'zod';
import type { LinkCheck } from '../labs/schema.js';
import type { ExecResult } from '../sandbox/types.js';
import type { CheckOutcome, Checker } from './types.js';
import { firstLine, parseJson, placeOf, probe, sq } from './util.js';

export type LinkSpec = z.infer<typeof LinkCheck>;

export interface IpLink {
  ifname: string;
  flags: string[];
  mtu: number;
  operstate?: string;
  master?: string;
  link?: string;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string; info_slave_kind?: string };
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

const SPLIT = '@@netdojo-addr@@';

export function linkCommand(spec: LinkSpec): string {
  const dev = sq(spec.name);
  return `ip -j -d link show dev ${dev} || exit 1; echo; echo ${SPLIT}; ip -j addr show dev ${dev}`;
}

/** Merges the link and addr listings into one object; undefined when the output is not JSON. */
export function parseLinkOutput(stdout: string): IpLink | undefined {
  const [linkText, addrText] = stdout.split(SPLIT);
  const link = parseJson<IpLink[]>(linkText?.trim() ?? '')?.[0];
  if (!link) return undefined;
  const addr = parseJson<IpLink[]>(addrText?.trim() ?? '')?.[0];
  return { ...link, addr_info: addr?.addr_info ?? link.addr_info ?? [] };
}

export function describeLink(l: IpLink): string {
  const admin = l.flags.includes('UP') ? 'UP' : 'DOWN';
  const parts = [`${l.ifname}${l.link ? `@${l.link}` : ''}`, `type ${l.linkinfo?.info_kind ?? 'device'}`, `state ${admin}`];
  if (l.operstate && l.operstate !== admin) parts.push(`(operstate ${l.operstate}${l.flags.includes('NO-CARRIER') ? ', no carrier' : ''})`);
  if (l.master) parts.push(`master ${l.master}`);
  parts.push(`mtu ${l.mtu}`);
  const inet = (l.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
  parts.push(inet.length ? `inet ${inet.join(', ')}` : 'no IPv4 address');
  return parts.join(' ');
}

/** Operationally up: admin UP, carrier (LOWER_UP), and an operstate that is not down. */
export function isOperUp(l: IpLink): boolean {
  return l.flags.includes('UP') && l.flags.includes('LOWER_UP') && !['DOWN', 'LOWERLAYERDOWN', 'NOTPRESENT', 'DORMANT'].includes(l.operstate ?? '');
}

export function evaluateLink(spec: LinkSpec, link: IpLink | undefined, where = 'the host'): CheckOutcome {
  const wants = [
    spec.type && `type ${spec.type}`,
    spec.state && (spec.state === 'UP' ? 'state UP (admin up with carrier)' : 'state DOWN'),
    spec.adminState && `admin state ${spec.adminState}`,
    spec.master && `master ${spec.master}`,
    spec.address && `address ${spec.address}`,
    spec.mtu !== undefined && `mtu ${spec.mtu}`,
  ].filter(Boolean);
  const expected = spec.absent
    ? `no link ${spec.name} on ${where}`
    : `link ${spec.name} on ${where}${wants.length ? ` with ${wants.join(', ')}` : ''}`;
  if (link && link.ifname !== spec.name) link = undefined;
  if (!link) {
    const actual = `${spec.name} does not exist on ${where}`;
    if (spec.absent) return { pass: true, expected, actual, message: actual };
    return { pass: false, expected, actual, message: `there is no link ${spec.name} on ${where}` };
  }
  const actual = describeLink(link);
  if (spec.absent) return { pass: false, expected, actual, message: `${spec.name} still exists on ${where}: ${actual}` };
  const problems: string[] = [];
  const kind = link.linkinfo?.info_kind;
  if (spec.type && kind !== spec.type) problems.push(`its type is ${kind ?? 'a plain device'}, not ${spec.type}`);
  const adminUp = link.flags.includes('UP');
  const operUp = isOperUp(link);
  if (spec.state === 'UP' && !operUp) {
    if (!adminUp) problems.push('it is DOWN (bring it up with `ip link set … up`)');
    else problems.push(`it is administratively up but has no carrier (${link.flags.includes('NO-CARRIER') ? 'NO-CARRIER, ' : ''}operstate ${link.operstate ?? 'unknown'}): the other end (a veth peer, a bridge's ports) is down or missing`);
  }
  if (spec.state === 'DOWN' && operUp) problems.push('it is UP');
  if (spec.adminState === 'UP' && !adminUp) problems.push('it is administratively DOWN (bring it up with `ip link set … up`)');
  if (spec.adminState === 'DOWN' && adminUp) problems.push('it is administratively UP');
  if (spec.master && link.master !== spec.master) problems.push(link.master ? `its master is ${link.master}, not ${spec.master}` : `it has no master (expected ${spec.master})`);
  if (spec.mtu !== undefined && link.mtu !== spec.mtu) problems.push(`its mtu is ${link.mtu}, not ${spec.mtu}`);
  if (spec.address) {
    const [addr, len] = spec.address.split('/');
    const inet = (link.addr_info ?? []).filter((a) => a.family === 'inet');
    const same = inet.find((a) => a.local === addr);
    if (!same) problems.push(inet.length ? `it has ${inet.map((a) => `${a.local}/${a.prefixlen}`).join(', ')}, not ${spec.address}` : `it has no IPv4 address (expected ${spec.address})`);
    else if (String(same.prefixlen) !== len) problems.push(`it has ${addr}/${same.prefixlen}, not /${len}`);
  }
  if (problems.length) return { pass: false, expected, actual, message: `${spec.name} on ${where}: ${problems.join('; ')}` };
  return { pass: true, expected, actual, message: `${where}: ${actual}` };
}

export function evaluateLinkOutput(spec: LinkSpec, res: ExecResult, where = 'the host'): CheckOutcome {
  if (res.exitCode !== 0) {
    const why = res.timedOut ? 'timed out' : firstLine(res.stderr) || `exit code ${res.exitCode}`;
    if (/does not exist/.test(why)) return evaluateLink(spec, undefined, where);
    const expected = spec.absent ? `no link ${spec.name} on ${where}` : `link ${spec.name} on ${where}`;
    return { pass: false, expected, actual: `could not read the links: ${why}`, message: `could not look at ${spec.name} on ${where}: ${why}` };
  }
  const link = parseLinkOutput(res.stdout);
  if (!link) {
    return { pass: false, expected: `link ${spec.name} on ${where}`, actual: `unreadable output: ${firstLine(res.stdout)}`, message: `could not parse \`ip -j link\` on ${where}` };
  }
  return evaluateLink(spec, link, where);
}

export const link: Checker<LinkSpec> = async (spec, ctx) => {
  const res = await probe(ctx, spec, linkCommand(spec), 15_000);
  return evaluateLinkOutput(spec, res, placeOf(ctx, spec));
};
