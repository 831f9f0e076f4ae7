// `http`: curl from inside the sandbox, `repeat` times; each response's status and body are
// framed by a random marker so bodies with any content parse unambiguously.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
import type { HttpCheck } from '../labs/schema.js';
import type { ExecResult } from '../sandbox/types.js';
import type { CheckContext, CheckOutcome, Checker } from './types.js';
import { compile, cut, firstLine, placeOf, probe, sq } from './util.js';

export type HttpSpec = z.infer<typeof HttpCheck>;

export interface HttpResponse {
  /** HTTP status; 0 when curl got no response */
  status: number;
  /** curl's exit code (7 = connection refused, 28 = timeout …) */
  curlExit: number;
  body: string;
  error: string;
}

export interface CurlExtras {
  /** out-of-band: `host:port:address`, resolved the way the sandbox host would */
  resolve?: string;
  /** out-of-band: the CA certificate copied out of the sandbox */
  cacertFile?: string;
  curl?: string;
}

export function httpCommand(spec: HttpSpec, marker: string, extras: CurlExtras = {}): string {
  // -q first: never read a .curlrc; --noproxy: never a proxy from anyone's environment
  const args = [extras.curl ?? 'curl', '-q', '-sS', '--noproxy', "'*'", '--connect-timeout', '3', '-m', '5', '-o', '"$body"', '-w', "'%{http_code}'"];
  if (spec.method === 'HEAD') args.push('-I');
  else if (spec.method === 'POST') args.push('-X', 'POST', '--data', "''");
  for (const [k, v] of Object.entries(spec.headers ?? {})) args.push('-H', sq(`${k}: ${v}`));
  const resolve = spec.resolve ?? extras.resolve;
  if (resolve) args.push('--resolve', sq(resolve));
  const cacert = extras.cacertFile ?? spec.cacert;
  if (cacert) args.push('--cacert', sq(cacert));
  if (spec.insecure) args.push('-k');
  args.push('--', sq(spec.url));
  return [
    // the body lands in a file: at most 2 MiB of it (RLIMIT_FSIZE), whatever the server sends
    'ulimit -f 2048',
    'body=$(mktemp); trap \'rm -f "$body" "$body.err"\' EXIT',
    `for i in $(seq ${spec.repeat}); do`,
    `  code=$(${args.join(' ')} 2>"$body.err"); rc=$?`,
    `  echo "${marker} status=$code exit=$rc"; cat "$body"; echo; echo "${marker} error"; cat "$body.err"; rm -f "$body.err"`,
    'done',
  ].join('\n');
}

export function parseHttp(stdout: string, marker: string): HttpResponse[] {
  const out: HttpResponse[] = [];
  const parts = stdout.split(`${marker} status=`).slice(1);
  for (const part of parts) {
    const nl = part.indexOf('\n');
    const header = nl < 0 ? part : part.slice(0, nl);
    const rest = nl < 0 ? '' : part.slice(nl + 1);
    const m = /^(\d*) exit=(\d+)/.exec(header);
    const errAt = rest.lastIndexOf(`\n${marker} error\n`);
    const body = errAt < 0 ? rest : rest.slice(0, errAt);
    const error = errAt < 0 ? '' : rest.slice(errAt + marker.length + 8);
    out.push({ status: Number(m?.[1] || 0), curlExit: Number(m?.[2] ?? -1), body, error: error.trim() });
  }
  return out;
}

function oneLine(body: string): string {
  return cut(body.replace(/\s+/g, ' ').trim(), 120) || '(empty body)';
}

export function evaluateHttp(spec: HttpSpec, responses: HttpResponse[], where = 'the host'): CheckOutcome {
  const wants: string[] = [spec.status !== undefined ? `status ${spec.status}` : 'a 2xx/3xx status'];
  if (spec.bodyMatches) wants.push(`a body matching /${spec.bodyMatches}/`);
  const times = spec.repeat > 1 ? ` (${spec.repeat} requests)` : '';
  let expected = `${spec.method} ${spec.url} from ${where} answers ${wants.join(' and ')}${times}`;
  if (spec.expectAll?.length) expected += `; over the requests every one of ${spec.expectAll.map((r) => `/${r}/`).join(', ')} matches some body`;

  if (responses.length === 0) {
    return { pass: false, expected, actual: 'curl produced no result', message: `could not run curl on ${where}` };
  }
  const statusOk = (s: number) => (spec.status !== undefined ? s === spec.status : s >= 200 && s < 400);
  const bodyRe = spec.bodyMatches ? compile(spec.bodyMatches) : undefined;
  const statuses = new Map<string, number>();
  for (const r of responses) {
    const key = r.status === 0 ? `no response (${firstLine(r.error) || `curl exit ${r.curlExit}`})` : `status ${r.status}`;
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
  }
  const statusText = [...statuses].map(([k, n]) => (responses.length > 1 ? `${n}× ${k}` : k)).join(', ');
  const distinct = [...new Set(responses.filter((r) => r.status !== 0).map((r) => oneLine(r.body)))];
  const bodies = distinct.length ? `; bodies seen: ${distinct.slice(0, 5).map((b) => `"${b}"`).join(', ')}${distinct.length > 5 ? ` … (${distinct.length} distinct)` : ''}` : '';
  const actual = `${statusText}${bodies}`;

  const badStatus = responses.filter((r) => !statusOk(r.status));
  if (badStatus.length) {
    const first = badStatus[0]!;
    const what = first.status === 0 ? `no response: ${firstLine(first.error) || `curl exit ${first.curlExit}`}` : `status ${first.status}`;
    const of = responses.length > 1 ? ` (${badStatus.length} of ${responses.length} requests)` : '';
    return { pass: false, expected, actual, message: `${spec.url} from ${where}: ${what}${of}` };
  }
  if (bodyRe) {
    const misses = responses.filter((r) => !bodyRe.test(r.body));
    if (misses.length) {
      const of = responses.length > 1 ? ` in ${misses.length} of ${responses.length} responses` : '';
      return { pass: false, expected, actual, message: `${spec.url}: the body does not match /${spec.bodyMatches}/${of}; got "${oneLine(misses[0]!.body)}"` };
    }
  }
  if (spec.expectAll?.length) {
    const never = spec.expectAll.filter((p) => !responses.some((r) => compile(p).test(r.body)));
    if (never.length) {
      return {
        pass: false,
        expected,
        actual,
        message: `over ${responses.length} requests to ${spec.url}, never matched: ${never.map((p) => `/${p}/`).join(', ')}${bodies}`,
      };
    }
  }
  return { pass: true, expected, actual, message: `${spec.url} from ${where}: ${statusText}` };
}

/** Out-of-band: the URL's host name resolved as the sandbox host would, its CA file copied out. */
async function outOfBandExtras(spec: HttpSpec, ctx: CheckContext, tmp: string): Promise<CurlExtras | CheckOutcome> {
  const oob = ctx.oob!;
  const place = { host: spec.host ?? ctx.defaultHost, netns: spec.netns };
  const extras: CurlExtras = { curl: oob.tool('curl') };
  const url = new URL(spec.url);
  const name = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!spec.resolve && !isIP(name)) {
    const r = await oob.resolve(place, name);
    if (!r.address) {
      return { pass: false, expected: `${spec.method} ${spec.url} answers`, actual: `curl: (6) Could not resolve host: ${name} (${r.via})`, message: `${spec.url} from ${placeOf(ctx, spec)}: could not resolve ${name} (${r.via})` };
    }
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    extras.resolve = `${name}:${port}:${r.address}`;
  }
  if (spec.cacert) {
    // in-band curl runs in /root: a relative path is relative to it
    const f = await oob.readFile(place.host, path.posix.resolve('/root', spec.cacert), 256 * 1024);
    if (f.kind !== 'file') {
      return { pass: false, expected: `${spec.method} ${spec.url} answers`, actual: `no CA certificate: ${f.why}`, message: `${spec.url}: the CA certificate ${spec.cacert} cannot be read on ${place.host}: ${f.why}` };
    }
    extras.cacertFile = path.join(tmp, 'ca.pem');
    await writeFile(extras.cacertFile, f.content, { mode: 0o600 });
  }
  return extras;
}

export const http: Checker<HttpSpec> = async (spec, ctx) => {
  const marker = `@@netdojo-${randomBytes(6).toString('hex')}@@`;
  let extras: CurlExtras = {};
  let tmp: string | undefined;
  if (ctx.oob) {
    tmp = await mkdtemp(path.join(tmpdir(), 'netdojo-http-'));
    const got = await outOfBandExtras(spec, ctx, tmp).catch(async (err) => {
      await rm(tmp!, { recursive: true, force: true });
      throw err;
    });
    if ('pass' in got) {
      await rm(tmp, { recursive: true, force: true });
      return got;
    }
    extras = got;
  }
  let res: ExecResult;
  try {
    res = await probe(ctx, spec, httpCommand(spec, marker, extras), (spec.repeat * 6 + 10) * 1000);
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
  const responses = parseHttp(res.stdout, marker);
  if (responses.length === 0) {
    const why = res.timedOut ? 'timed out' : firstLine(res.stderr) || `exit code ${res.exitCode}`;
    return { pass: false, expected: `${spec.method} ${spec.url} answers`, actual: `curl did not run: ${why}`, message: `could not run curl on ${placeOf(ctx, spec)}: ${why}` };
  }
  return evaluateHttp(spec, responses, placeOf(ctx, spec));
};
