// `ping`: sends `count` echo requests and reads iputils' statistics (loss, rtt, errors).
import type { z } from 'zod';
import type { PingCheck } from '../labs/schema.js';
import type { ExecResult } from '../sandbox/types.js';
import type { CheckOutcome, Checker } from './types.js';
import { firstLine, placeOf, probe, sq } from './util.js';

export type PingSpec = z.infer<typeof PingCheck>;

export interface PingStats {
  transmitted: number;
  received: number;
  errors: number;
  lossPercent: number;
  rttAvgMs?: number;
  /** ICMP errors such as "Destination Host Unreachable", deduplicated */
  notes: string[];
}

export function pingCommand(spec: PingSpec): string {
  // -i 0.2 keeps a passing check fast; -W 1 bounds the wait for the last reply.
  const from = spec.from ? ` -I ${sq(spec.from)}` : '';
  return `LC_ALL=C ping -n -c ${spec.count} -i 0.2 -W 1${from} -- ${sq(spec.to)}`;
}

export function parsePing(stdout: string): PingStats | undefined {
  const stats = /(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+(\d+) errors)?(?:, [^,]*)?, ([\d.]+)% packet loss/.exec(stdout);
  if (!stats) return undefined;
  const rtt = /rtt min\/avg\/max\/mdev = [\d.]+\/([\d.]+)\//.exec(stdout);
  const notes = new Set<string>();
  for (const line of stdout.split('\n')) {
    const m = /^From \S+ icmp_seq=\d+ (.+)$/.exec(line.trim());
    if (m?.[1]) notes.add(m[1]);
  }
  return {
    transmitted: Number(stats[1]),
    received: Number(stats[2]),
    errors: Number(stats[3] ?? 0),
    lossPercent: Number(stats[4]),
    rttAvgMs: rtt?.[1] ? Number(rtt[1]) : undefined,
    notes: [...notes],
  };
}

export function evaluatePing(spec: PingSpec, res: ExecResult, where = 'the host'): CheckOutcome {
  const wantReply = spec.expect === 'reply';
  if (spec.from) where = `${where} (source ${spec.from})`;
  const expected = wantReply ? `${spec.to} answers ping from ${where}` : `${spec.to} does not answer ping from ${where}`;
  const stats = parsePing(res.stdout);
  if (!stats) {
    // ping could not even send: no route, unknown name, missing netns …
    const why = res.timedOut ? 'ping timed out' : firstLine(res.stderr) || firstLine(res.stdout) || `exit code ${res.exitCode}`;
    const actual = `no packets sent: ${why}`;
    if (!wantReply && !res.timedOut && res.exitCode !== 0 && !/netns|namespace|not found|No such file/i.test(why)) {
      return { pass: true, expected, actual, message: `${spec.to} is unreachable from ${where}, as expected (${why})` };
    }
    return { pass: false, expected, actual, message: `ping ${spec.to} from ${where}: ${why}` };
  }
  const rtt = stats.rttAvgMs !== undefined ? `, rtt avg ${stats.rttAvgMs} ms` : '';
  const notes = stats.notes.length ? ` (${stats.notes.join('; ')})` : '';
  const actual = `${stats.transmitted} sent, ${stats.received} received, ${stats.lossPercent}% loss${rtt}${notes}`;
  if (wantReply) {
    if (stats.received > 0) return { pass: true, expected, actual, message: `${spec.to} answers from ${where}: ${actual}` };
    return { pass: false, expected, actual, message: `no reply from ${spec.to} on ${where}: ${actual}` };
  }
  if (stats.received === 0) return { pass: true, expected, actual, message: `${spec.to} does not answer from ${where}, as expected: ${actual}` };
  return { pass: false, expected, actual, message: `${spec.to} still answers from ${where}: ${actual}` };
}

/** Out-of-band a name is resolved the way the host would, then the server's ping gets the address. */
export const ping: Checker<PingSpec> = async (spec, ctx) => {
  const where = placeOf(ctx, spec);
  let target = spec;
  if (ctx.oob) {
    const r = await ctx.oob.resolve({ host: spec.host ?? ctx.defaultHost, netns: spec.netns }, spec.to);
    if (!r.address) return evaluatePing(spec, { exitCode: 2, stdout: '', stderr: `ping: ${spec.to}: Name or service not known (${r.via})\n`, timedOut: false, durationMs: 0 }, where);
    target = { ...spec, to: r.address };
  }
  const res = await probe(ctx, spec, pingCommand(target), (spec.count * 0.2 + 10) * 1000);
  return evaluatePing(spec, res, where);
};
