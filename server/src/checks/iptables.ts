// `iptables`: reads `iptables -t <table> -S <chain>` and looks for a rule (or the policy).
// Out-of-band it is the server's iptables-nft (the backend of `iptables` in the sandboxes); rules a
// learner wrote with iptables-legacy also filter packets, so when the netns has legacy rules in
// that table the check fails loudly instead of reading only half of the truth.
import type { z } from 'zod';
import type { IptablesCheck } from '../labs/schema.js';
import type { ExecResult } from '../sandbox/types.js';
import type { CheckOutcome, Checker } from './types.js';
import { randomBytes } from 'node:crypto';
import { compile, firstLine, head, placeOf, probe, sq } from './util.js';

export type IptablesSpec = z.infer<typeof IptablesCheck>;

export interface ChainListing {
  /** `-P CHAIN POLICY` for built-in chains */
  policy?: string;
  /** `-A …` lines, in order */
  rules: string[];
}

export function iptablesCommand(spec: IptablesSpec): string {
  return `iptables -w 5 -t ${spec.table} -S ${sq(spec.chain)}`;
}

/** Out-of-band: iptables-nft, then (after `marker`) the legacy table if that netns has one. */
export function iptablesOutOfBandCommand(spec: IptablesSpec, nft: string, legacySave: string | undefined, marker: string): string {
  const legacy = legacySave
    ? `if grep -qx ${spec.table} /proc/net/ip_tables_names 2>/dev/null; then ${legacySave} -t ${spec.table} 2>&1; fi`
    : '';
  return `${nft} -t ${spec.table} -S ${sq(spec.chain)}; rc=$?; echo ${marker}; ${legacy}; exit $rc`;
}

/** Rules and non-ACCEPT policies in an `iptables-legacy-save -t T` listing. */
export function legacyRules(save: string): string[] {
  return save
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('-A ') || (/^:\S+ (DROP|REJECT|QUEUE|RETURN)\b/.test(l)));
}

export function parseIptablesS(stdout: string, chain: string): ChainListing {
  const rules: string[] = [];
  let policy: string | undefined;
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    const p = /^-P (\S+) (\S+)/.exec(line);
    if (p && p[1] === chain) policy = p[2];
    else if (line.startsWith('-A ')) rules.push(line);
  }
  return { policy, rules };
}

export function evaluateIptables(spec: IptablesSpec, res: ExecResult, where = 'the host'): CheckOutcome {
  const at = `${spec.table}/${spec.chain}`;
  const parts: string[] = [];
  if (spec.policy) parts.push(`policy ${spec.policy}`);
  if (spec.match) parts.push(spec.absent ? `no rule matching /${spec.match}/` : `a rule matching /${spec.match}/`);
  if (!spec.match && !spec.policy) parts.push(spec.absent ? 'no such chain' : 'the chain exists');
  const expected = `${at} on ${where} has ${parts.join(' and ')}`;

  if (res.exitCode !== 0) {
    const why = res.timedOut ? 'iptables timed out' : firstLine(res.stderr) || `exit code ${res.exitCode}`;
    const missing = /No chain|does not exist|incompatible|not exist/i.test(why);
    const actual = missing ? `chain ${at} does not exist (${why})` : `could not list ${at}: ${why}`;
    if (missing && spec.absent && !spec.policy) return { pass: true, expected, actual, message: `${at} does not exist, so no rule matches` };
    return { pass: false, expected, actual, message: missing ? `there is no chain ${at} on ${where}` : `could not list ${at} on ${where}: ${why}` };
  }
  const chain = parseIptablesS(res.stdout, spec.chain);
  const listing = chain.rules.length ? head(chain.rules, 12, 160) : '(no rules)';
  const actual = `${chain.policy ? `policy ${chain.policy}; ` : ''}${chain.rules.length} rule(s):\n${listing}`;
  const fail = (message: string): CheckOutcome => ({ pass: false, expected, actual, message });

  if (spec.policy && chain.policy !== spec.policy) {
    return fail(chain.policy ? `the policy of ${at} is ${chain.policy}, not ${spec.policy}` : `${at} is not a built-in chain: it has no policy`);
  }
  if (spec.match) {
    const re = compile(spec.match);
    const hits = chain.rules.filter((r) => re.test(r));
    if (spec.absent && hits.length) return fail(`${at} still has a rule matching /${spec.match}/: ${hits[0]}`);
    if (!spec.absent && !hits.length) {
      return fail(`no rule in ${at} matches /${spec.match}/; the chain has: ${chain.rules.length ? head(chain.rules, 6, 160).replace(/\n/g, ' | ') : 'no rules'}`);
    }
    const msg = spec.absent ? `no rule in ${at} matches /${spec.match}/` : `${at}: ${hits[0]}`;
    return { pass: true, expected, actual, message: spec.policy ? `policy ${chain.policy}; ${msg}` : msg };
  }
  if (spec.absent && !spec.policy) return fail(`${at} exists`);
  return { pass: true, expected, actual, message: spec.policy ? `the policy of ${at} is ${chain.policy}` : `${at} exists` };
}

export const iptables: Checker<IptablesSpec> = async (spec, ctx) => {
  const where = placeOf(ctx, spec);
  if (!ctx.oob) return evaluateIptables(spec, await probe(ctx, spec, iptablesCommand(spec), 15_000), where);
  const marker = `@@netdojo-legacy-${randomBytes(6).toString('hex')}@@`;
  const nft = ctx.oob.tool('iptables-nft');
  const legacySave = ctx.oob.has('iptables-legacy-save') ? ctx.oob.tool('iptables-legacy-save') : undefined;
  const res = await probe(ctx, spec, iptablesOutOfBandCommand(spec, nft, legacySave, marker), 15_000);
  const at = res.stdout.lastIndexOf(`${marker}\n`);
  const nftOut = at < 0 ? res.stdout : res.stdout.slice(0, at);
  const legacy = at < 0 ? [] : legacyRules(res.stdout.slice(at + marker.length + 1));
  if (legacy.length) {
    const at = `${spec.table}/${spec.chain}`;
    return {
      pass: false,
      expected: `${at} on ${where} read from iptables (nf_tables)`,
      actual: `iptables-legacy has ${legacy.length} rule(s) in table ${spec.table}:\n${head(legacy, 8, 160)}`,
      message: `${where} has iptables-legacy rules in table ${spec.table} (${firstLine(legacy[0]!)}): they filter packets too, but this lab reads \`iptables\` (nf_tables); remove them with \`iptables-legacy -t ${spec.table} -F\` and use \`iptables\``,
    };
  }
  return evaluateIptables(spec, { ...res, stdout: nftOut }, where);
};
