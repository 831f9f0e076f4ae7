// `file`: a file the learner wrote, read from outside out-of-band (symlinks resolve inside the
// host, never on the server), at most FILE_MAX bytes. `matches` looks at the whole content
// (multi-line), `lineMatches` at each line.
import type { z } from 'zod';
import type { FileCheck } from '../labs/schema.js';
import { formatBytes } from '../probe/bounded.js';
import type { FileRead } from '../probe/rootfs.js';
import type { CheckOutcome, Checker } from './types.js';
import { compile, cut, firstLine, probe, sq, tail } from './util.js';

export type FileSpec = z.infer<typeof FileCheck>;

export const FILE_MAX = 1024 * 1024;

export function evaluateFile(spec: FileSpec, file: FileRead, host: string): CheckOutcome {
  const at = `${spec.path} on ${host}`;
  const wants = [spec.matches && `its content matches /${spec.matches}/`, spec.lineMatches && `a line matches /${spec.lineMatches}/`].filter(Boolean);
  const expected = spec.absent ? `no file ${at}` : `a file ${at}${wants.length ? ` where ${wants.join(' and ')}` : ''}`;
  if (file.kind !== 'file') {
    if (spec.absent && file.kind === 'absent') return { pass: true, expected, actual: file.why, message: `${spec.path} does not exist on ${host}` };
    return { pass: false, expected, actual: file.why, message: file.kind === 'absent' ? `there is no file ${at}` : `${at}: ${file.why}` };
  }
  const text = file.content.toString('utf8');
  const lines = text.split('\n');
  const shown = tail(text, 8) || '(empty file)';
  const actual = `${file.size} bytes${file.truncated ? ` (the first ${formatBytes(FILE_MAX)} read)` : ''}:\n${shown}`;
  if (spec.absent) return { pass: false, expected, actual, message: `${at} still exists` };
  const problems: string[] = [];
  if (spec.matches && !compile(spec.matches).test(text)) problems.push(`its content does not match /${spec.matches}/`);
  if (spec.lineMatches) {
    const re = compile(spec.lineMatches);
    if (!lines.some((l) => re.test(l))) problems.push(`no line matches /${spec.lineMatches}/`);
  }
  if (problems.length) return { pass: false, expected, actual, message: `${at}: ${problems.join('; ')}` };
  const hit = spec.lineMatches ? lines.find((l) => compile(spec.lineMatches!).test(l)) : undefined;
  return { pass: true, expected, actual, message: hit !== undefined ? `${at}: ${cut(hit.trim(), 120)}` : `${at} is as expected` };
}

/** In-band: the sandbox's own shell reads it (kind, or a server that cannot probe from outside). */
function inBandCommand(spec: FileSpec): string {
  const p = sq(spec.path);
  return `if [ ! -e ${p} ]; then echo absent; exit 0; fi; if [ ! -f ${p} ]; then echo other; exit 0; fi; echo file; wc -c < ${p}; head -c ${FILE_MAX} -- ${p}`;
}

export const file: Checker<FileSpec> = async (spec, ctx) => {
  const host = spec.host ?? ctx.defaultHost;
  if (ctx.oob) return evaluateFile(spec, await ctx.oob.readFile(host, spec.path, FILE_MAX), host);
  const res = await probe(ctx, { host }, inBandCommand(spec), 10_000);
  if (res.exitCode !== 0) {
    const why = firstLine(res.stderr) || `exit code ${res.exitCode}`;
    return { pass: false, expected: `a file ${spec.path} on ${host}`, actual: `could not read it: ${why}`, message: `could not read ${spec.path} on ${host}: ${why}` };
  }
  const [kind, size, ...rest] = res.stdout.split('\n');
  let read: FileRead;
  if (kind === 'absent') read = { kind: 'absent', why: `${spec.path} does not exist` };
  else if (kind !== 'file') read = { kind: 'other', why: `${spec.path} is not a regular file` };
  else {
    const content = Buffer.from(rest.join('\n'), 'utf8');
    read = { kind: 'file', content, size: Number(size) || content.length, truncated: Number(size) > FILE_MAX };
  }
  return evaluateFile(spec, read, host);
};
