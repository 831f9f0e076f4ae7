// `capture`: a bounded live capture. tcpdump (-nn -l, packet and byte caps) listens on an interface
// of a host (or netns) while a ping is sent from a place of the lab, then the captured lines are
// matched. Out-of-band both are the server's own tcpdump and ping, entered into the sandbox's
// netns from outside; what a learner printed or saved plays no part.
import type { z } from 'zod';
import type { CaptureCheck } from '../labs/schema.js';
import type { ExecResult } from '../sandbox/types.js';
import type { CheckContext, CheckOutcome, Checker } from './types.js';
import { bounded, compile, cut, firstLine, head, sq } from './util.js';

export type CaptureSpec = z.infer<typeof CaptureCheck>;

const MAX_PACKETS = 200;
const SNAPLEN = 256;

export function tcpdumpArgs(spec: CaptureSpec): string[] {
  return ['-i', spec.interface, '-nn', '-l', '--immediate-mode', '-c', String(MAX_PACKETS), '-s', String(SNAPLEN), '--', spec.filter];
}

export function sendPingArgs(address: string): string[] {
  return ['-n', '-c', '3', '-i', '0.2', '-W', '1', '--', address];
}

interface Captured {
  tcpdump: ExecResult;
  ping?: ExecResult;
  /** the ping could not even start (its target does not resolve) */
  sendError?: string;
}

const placeText = (host: string, netns?: string) => (netns ? `${host} (netns ${netns})` : host);

export function evaluateCapture(spec: CaptureSpec, got: Captured, where: string, from: string): CheckOutcome {
  const seen = spec.expect === 'seen';
  const expected = `${seen ? 'a' : 'no'} packet on ${spec.interface} of ${where} matching /${spec.matches}/ (filter "${spec.filter}") while ${from} pings ${spec.send.ping}`;
  const started = /listening on/.test(got.tcpdump.stderr);
  if (!started) {
    const why = firstLine(got.tcpdump.stderr.replace(/^tcpdump: verbose output suppressed.*$/m, '')) || `exit code ${got.tcpdump.exitCode}`;
    return { pass: false, expected, actual: `tcpdump did not start: ${why}`, message: `could not capture on ${spec.interface} of ${where}: ${why}` };
  }
  if (got.sendError) return { pass: false, expected, actual: `no ping sent: ${got.sendError}`, message: `could not ping ${spec.send.ping} from ${from}: ${got.sendError}` };
  const lines = got.tcpdump.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const re = compile(spec.matches);
  const hits = lines.filter((l) => re.test(l));
  const actual = lines.length ? `${lines.length} packet(s) captured:\n${head(lines, 8, 160)}` : 'no packet captured';
  if (seen) {
    if (hits.length) return { pass: true, expected, actual, message: `seen on ${spec.interface} of ${where}: ${cut(hits[0]!, 160)}` };
    return {
      pass: false,
      expected,
      actual,
      message: `no packet on ${spec.interface} of ${where} matches /${spec.matches}/ while ${from} pings ${spec.send.ping}${lines.length ? `; captured: ${cut(lines[0]!, 120)}${lines.length > 1 ? ` (+${lines.length - 1} more)` : ''}` : '; nothing matched the filter'}`,
    };
  }
  if (hits.length) return { pass: false, expected, actual, message: `a packet on ${spec.interface} of ${where} matches /${spec.matches}/: ${cut(hits[0]!, 160)}` };
  return { pass: true, expected, actual, message: `no packet on ${spec.interface} of ${where} matches /${spec.matches}/, as expected` };
}

async function outOfBand(spec: CaptureSpec, ctx: CheckContext, host: string, sendHost: string): Promise<Captured> {
  const oob = ctx.oob!;
  const target = await oob.resolve({ host: sendHost, netns: spec.send.netns }, spec.send.ping);
  let listening!: () => void;
  const ready = new Promise<void>((r) => (listening = r));
  let errText = '';
  const capture = await oob.start({ host, netns: spec.netns }, [oob.tool('tcpdump'), ...tcpdumpArgs(spec)], {
    timeoutMs: (spec.seconds + 5) * 1000,
    onStderr: (d) => {
      errText += d.toString('utf8');
      if (/listening on/.test(errText) || errText.length > 4096) listening();
    },
  });
  const stopAt = setTimeout(() => capture.interrupt(), spec.seconds * 1000);
  try {
    const exitedEarly = await Promise.race([ready.then(() => false), capture.done.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(true), 3000))]);
    let ping: ExecResult | undefined;
    if (!exitedEarly && target.address) {
      ping = await oob.run({ host: sendHost, netns: spec.send.netns }, `${oob.tool('ping')} ${sendPingArgs(target.address).map(sq).join(' ')}`, 10_000);
      await new Promise((r) => setTimeout(r, 300));
    }
    capture.interrupt();
    const tcpdump = bounded(await capture.done, `tcpdump on ${placeText(host, spec.netns)}`);
    return { tcpdump, ping, sendError: target.address ? undefined : target.via };
  } finally {
    clearTimeout(stopAt);
    capture.kill();
  }
}

async function inBand(spec: CaptureSpec, ctx: CheckContext, host: string, sendHost: string): Promise<Captured> {
  const dump = `timeout -s INT ${spec.seconds} tcpdump ${tcpdumpArgs(spec).map(sq).join(' ')}`;
  const capturing = ctx.sandbox.exec(host, dump, { netns: spec.netns, timeoutMs: (spec.seconds + 5) * 1000 });
  await new Promise((r) => setTimeout(r, 1000));
  const ping = await ctx.sandbox.exec(sendHost, `ping ${sendPingArgs(spec.send.ping).map(sq).join(' ')}`, { netns: spec.send.netns, timeoutMs: 10_000 });
  const tcpdump = bounded(await capturing, `tcpdump on ${placeText(host, spec.netns)}`);
  const unknown = /Name or service not known|Temporary failure in name resolution/.exec(ping.stderr);
  return { tcpdump, ping, sendError: unknown ? firstLine(ping.stderr) : undefined };
}

export const capture: Checker<CaptureSpec> = async (spec, ctx) => {
  const host = spec.host ?? ctx.defaultHost;
  const sendHost = spec.send.host ?? host;
  const got = ctx.oob ? await outOfBand(spec, ctx, host, sendHost) : await inBand(spec, ctx, host, sendHost);
  return evaluateCapture(spec, got, placeText(host, spec.netns), placeText(sendHost, spec.send.netns));
};
