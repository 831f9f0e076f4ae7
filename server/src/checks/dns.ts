// `dns`: asks a DNS server with dig (status + answer section), or the system resolver with
// `getent ahosts*` (which honours /etc/hosts and nsswitch.conf, like ping does).
import { isIP } from 'node:net';
import type { z } from 'zod';
import type { DnsCheck } from '../labs/schema.js';
import type { ExecResult } from '../sandbox/types.js';
import type { CheckOutcome, Checker } from './types.js';
import { compile, firstLine, placeOf, probe, sq } from './util.js';

export type DnsSpec = z.infer<typeof DnsCheck>;

export interface DnsRecord {
  name: string;
  type: string;
  data: string;
}

export interface DnsAnswer {
  /** NOERROR, NXDOMAIN, SERVFAIL, REFUSED …; NOTFOUND for getent's "not found" */
  status: string;
  records: DnsRecord[];
  /** why there is no status at all (timeout, no server) */
  error?: string;
}

export function dnsCommand(spec: DnsSpec, dig = 'dig'): string {
  if (spec.resolver === 'system') {
    const db = spec.type === 'AAAA' ? 'ahostsv6' : 'ahostsv4';
    return `getent ${db} ${sq(spec.name)}; echo "getent-exit=$?"`;
  }
  const server = spec.server ? ` @${sq(spec.server)}` : '';
  return `${dig}${server} +time=2 +tries=2 +noall +comments +answer ${sq(spec.name)} ${spec.type}`;
}

export function parseDig(stdout: string): DnsAnswer {
  const status = /->>HEADER<<-.*status: ([A-Z]+)/.exec(stdout)?.[1];
  const records: DnsRecord[] = [];
  for (const line of stdout.split('\n')) {
    if (line.startsWith(';') || line.trim() === '') continue;
    const m = /^(\S+)\s+\d+\s+IN\s+([A-Z0-9]+)\s+(.+)$/.exec(line.trim());
    if (m) records.push({ name: m[1]!, type: m[2]!, data: m[3]!.trim() });
  }
  if (!status) {
    const lines = stdout.split('\n');
    const err = lines.find((l) => /no servers could be reached/.test(l)) ?? lines.find((l) => /^;; (connection timed out|communications error)/.test(l));
    return { status: '', records, error: (err ?? firstLine(stdout)).replace(/^;; /, '') || 'dig printed no header' };
  }
  return { status, records };
}

export function parseGetent(stdout: string, name: string): DnsAnswer {
  const exit = Number(/getent-exit=(\d+)/.exec(stdout)?.[1] ?? -1);
  if (exit === 2) return { status: 'NOTFOUND', records: [] };
  if (exit !== 0) return { status: '', records: [], error: `getent exit code ${exit}` };
  const seen = new Set<string>();
  const records: DnsRecord[] = [];
  for (const line of stdout.split('\n')) {
    const addr = /^(\S+)\s+(STREAM|DGRAM|RAW)\b/.exec(line)?.[1];
    if (addr && !seen.has(addr)) {
      seen.add(addr);
      records.push({ name, type: addr.includes(':') ? 'AAAA' : 'A', data: addr });
    }
  }
  return { status: 'NOERROR', records };
}

const norm = (s: string) => s.toLowerCase().replace(/\.$/, '');

export function evaluateDns(spec: DnsSpec, ans: DnsAnswer, where = 'the host'): CheckOutcome {
  const via = spec.resolver === 'system' ? 'the system resolver' : spec.server ? `server ${spec.server}` : 'the configured DNS server';
  const q = `${spec.name} ${spec.type}`;
  let expected: string;
  if (spec.expect === 'nxdomain') expected = `${q} does not exist (NXDOMAIN) via ${via}`;
  else if (spec.expect === 'no-answer') expected = `${q} has no answer via ${via}`;
  else if (spec.answer) expected = `${q} answers ${spec.answer} via ${via}`;
  else if (spec.answerMatches) expected = `${q} has an answer matching /${spec.answerMatches}/ via ${via}`;
  else expected = `${q} has an answer via ${via}`;

  if (ans.error) {
    return { pass: false, expected, actual: `no response: ${ans.error}`, message: `${q} from ${where}: ${ans.error}` };
  }
  const list = ans.records.map((r) => (r.type === spec.type || spec.resolver === 'system' ? r.data : `${r.type} ${r.data}`));
  const actual = ans.status === 'NOTFOUND' ? 'not found' : `${ans.status}${list.length ? `: ${list.join(', ')}` : ', no answer records'}`;
  const ok = (message: string): CheckOutcome => ({ pass: true, expected, actual, message });
  const bad = (message: string): CheckOutcome => ({ pass: false, expected, actual, message });
  const ofType = ans.records.filter((r) => r.type === spec.type);

  if (spec.expect === 'nxdomain') {
    if (ans.status === 'NXDOMAIN' || ans.status === 'NOTFOUND') return ok(`${spec.name} does not exist, as expected`);
    return bad(`${spec.name} still resolves via ${via}: ${actual}`);
  }
  if (spec.expect === 'no-answer') {
    if (ans.status === 'NOTFOUND' || (ans.status === 'NOERROR' && ofType.length === 0)) return ok(`${q} has no answer, as expected`);
    return bad(`${q} should have no answer via ${via}, got ${actual}`);
  }
  if (ans.status !== 'NOERROR') return bad(`${q} via ${via}: ${ans.status === 'NOTFOUND' ? 'not found' : ans.status}`);
  if (ans.records.length === 0) return bad(`${q} via ${via}: no answer records`);
  if (spec.answer) {
    if (ans.records.some((r) => norm(r.data) === norm(spec.answer!))) return ok(`${q} → ${spec.answer}`);
    return bad(`${q} via ${via} answers ${list.join(', ')}, not ${spec.answer}`);
  }
  if (spec.answerMatches) {
    const re = compile(spec.answerMatches);
    if (ans.records.some((r) => re.test(r.data))) return ok(`${q} → ${list.join(', ')}`);
    return bad(`${q} via ${via} answers ${list.join(', ')}: none matches /${spec.answerMatches}/`);
  }
  if (ofType.length === 0) return bad(`${q} via ${via}: no ${spec.type} record (answer: ${list.join(', ')})`);
  return ok(`${q} → ${list.join(', ')}`);
}

export const dns: Checker<DnsSpec> = async (spec, ctx) => {
  const where = placeOf(ctx, spec);
  if (spec.resolver === 'system' && spec.type !== 'A' && spec.type !== 'AAAA') {
    return {
      pass: false,
      expected: `${spec.name} ${spec.type} via the system resolver`,
      actual: 'the system resolver (getent) looks up only A and AAAA',
      message: `resolver: system supports only A and AAAA, not ${spec.type}`,
    };
  }
  let asked = spec;
  let dig = 'dig';
  if (ctx.oob && spec.resolver !== 'system') {
    // dig asks the sandbox's own name server (its resolv.conf), from inside its netns
    const place = { host: spec.host ?? ctx.defaultHost, netns: spec.netns };
    let server = spec.server;
    if (!server) server = await ctx.oob.nameserver(place);
    else if (!isIP(server)) {
      const r = await ctx.oob.resolve(place, server);
      if (!r.address) return evaluateDns(spec, { status: '', records: [], error: `the server ${server} does not resolve (${r.via})` }, where);
      server = r.address;
    }
    asked = { ...spec, server };
    dig = ctx.oob.tool('dig');
  }
  const res: ExecResult = await probe(ctx, spec, dnsCommand(asked, dig), 15_000, { inBand: spec.resolver === 'system' });
  if (res.exitCode === 127 || (res.exitCode !== 0 && res.stdout.trim() === '')) {
    const why = res.timedOut ? 'timed out' : firstLine(res.stderr) || `exit code ${res.exitCode}`;
    const ans: DnsAnswer = { status: '', records: [], error: why };
    // dig exits 9 on "no servers could be reached" and prints that on stdout; handled by parseDig.
    return evaluateDns(spec, ans, where);
  }
  const ans = spec.resolver === 'system' ? parseGetent(res.stdout, spec.name) : parseDig(res.stdout);
  return evaluateDns(spec, ans, where);
};
