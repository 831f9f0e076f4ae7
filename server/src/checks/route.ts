// `route`: reads `ip -j route show [table T]` and looks for a route to `dst` with the given
// gateway/device/protocol (multipath routes match when one of their next hops does).
import type { z } from 'zod';
import type { RouteCheck } from '../labs/schema.js';
import type { ExecResult } from '../sandbox/types.js';
import type { CheckOutcome, Checker } from './types.js';
import { canonicalPrefix, firstLine, head, parseJson, placeOf, probe, sq } from './util.js';

export type RouteSpec = z.infer<typeof RouteCheck>;

export interface IpRoute {
  type?: string;
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  metric?: number;
  flags?: string[];
  nexthops?: Array<{ gateway?: string; dev?: string }>;
}

export function routeCommand(spec: RouteSpec): string {
  return `ip -j route show${spec.table ? ` table ${sq(spec.table)}` : ''}`;
}

/** How `ip route` would print it: "10.0.2.0/24 via 192.168.15.9 dev veth-red proto static". */
export function formatRoute(r: IpRoute): string {
  const parts = [r.type && r.type !== 'unicast' ? `${r.type} ${r.dst}` : r.dst];
  if (r.gateway) parts.push(`via ${r.gateway}`);
  if (r.dev) parts.push(`dev ${r.dev}`);
  if (r.protocol) parts.push(`proto ${r.protocol}`);
  if (r.scope && r.scope !== 'global') parts.push(`scope ${r.scope}`);
  if (r.prefsrc) parts.push(`src ${r.prefsrc}`);
  if (r.metric !== undefined) parts.push(`metric ${r.metric}`);
  for (const h of r.nexthops ?? []) parts.push(`nexthop${h.gateway ? ` via ${h.gateway}` : ''}${h.dev ? ` dev ${h.dev}` : ''}`);
  if (r.flags?.length) parts.push(r.flags.join(' '));
  return parts.join(' ');
}

/** iproute2 omits `protocol` for routes added by hand (proto boot). */
const protoOf = (r: IpRoute) => r.protocol ?? 'boot';

function hopsOf(r: IpRoute): Array<{ gateway?: string; dev?: string }> {
  return r.nexthops?.length ? r.nexthops : [{ gateway: r.gateway, dev: r.dev }];
}

export function evaluateRoute(spec: RouteSpec, routes: IpRoute[], where = 'the host'): CheckOutcome {
  const want = canonicalPrefix(spec.dst);
  const table = spec.table ? ` in table ${spec.table}` : '';
  const details = [spec.via && `via ${spec.via}`, spec.dev && `dev ${spec.dev}`, spec.proto && `proto ${spec.proto}`].filter(Boolean).join(' ');
  const what = `a route to ${spec.dst}${details ? ` ${details}` : ''}`;
  const expected = `${spec.absent ? 'no ' : ''}${what.replace(/^a /, '')}${table} on ${where}`;
  const toDst = routes.filter((r) => canonicalPrefix(r.dst) === want && (r.type === undefined || r.type === 'unicast'));
  const matching = toDst.filter(
    (r) => (!spec.proto || protoOf(r) === spec.proto) && hopsOf(r).some((h) => (!spec.via || h.gateway === spec.via) && (!spec.dev || h.dev === spec.dev)),
  );
  const actual = routes.length ? head(routes.map(formatRoute), 15) : '(the table is empty)';
  if (spec.absent) {
    if (matching.length) return { pass: false, expected, actual, message: `there is still ${what}${table} on ${where}: ${formatRoute(matching[0]!)}` };
    return { pass: true, expected, actual, message: `no ${what.replace(/^a /, '')}${table} on ${where}` };
  }
  if (matching.length) return { pass: true, expected, actual, message: `${where}: ${formatRoute(matching[0]!)}` };
  if (toDst.length) {
    return { pass: false, expected, actual, message: `the route to ${spec.dst}${table} on ${where} is "${toDst.map(formatRoute).join('; ')}", not ${details}` };
  }
  const seen = routes.length ? `; the table has: ${head(routes.map(formatRoute), 6).replace(/\n/g, ' | ')}` : '; the table is empty';
  return { pass: false, expected, actual, message: `no route to ${spec.dst}${table} on ${where}${seen}` };
}

export function evaluateRouteOutput(spec: RouteSpec, res: ExecResult, where = 'the host'): CheckOutcome {
  const routes = res.exitCode === 0 ? parseJson<IpRoute[]>(res.stdout || '[]') : undefined;
  if (!routes) {
    const why = res.timedOut ? 'timed out' : firstLine(res.stderr) || firstLine(res.stdout) || `exit code ${res.exitCode}`;
    const expected = `${spec.absent ? 'no ' : 'a '}route to ${spec.dst} on ${where}`;
    return { pass: false, expected, actual: `could not read the routes: ${why}`, message: `could not read the routes on ${where}: ${why}` };
  }
  return evaluateRoute(spec, routes, where);
}

/** The number of a routing table named in the host's own /etc/iproute2/rt_tables (the server's ip does not know the sandbox's names). */
export function tableNumber(rtTables: string, name: string): string | undefined {
  for (const line of rtTables.split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)/.exec(line.replace(/#.*$/, ''));
    if (m && m[2] === name) return m[1];
  }
  return undefined;
}

export const route: Checker<RouteSpec> = async (spec, ctx) => {
  let asked = spec;
  if (ctx.oob && spec.table && !/^(\d+|main|local|default|all)$/.test(spec.table)) {
    const f = await ctx.oob.readFile(spec.host ?? ctx.defaultHost, '/etc/iproute2/rt_tables', 64 * 1024);
    const n = f.kind === 'file' ? tableNumber(f.content.toString('utf8'), spec.table) : undefined;
    if (n) asked = { ...spec, table: n };
  }
  const res = await probe(ctx, spec, routeCommand(asked), 15_000);
  return evaluateRouteOutput(spec, res, placeOf(ctx, spec));
};
