// In-band `shell` checks of one step that run on the same host (and netns) share ONE exec: a
// generated script, fed on stdin (not in argv, where a check could read it), runs each check's
// command in turn with its own timeout and its own bounded output (a FIFO into `head -c`, so a
// command printing without end gets SIGPIPE past the cap), and reports each one on a line of its
// own: a random per-run nonce, the index, the exit code, then stdout and stderr in base64 (the
// commands' output never reaches the exec's stream raw, so it cannot fake a report line).
import { randomBytes } from 'node:crypto';
import { OUTPUT_CAP_BYTES } from '../probe/bounded.js';
import type { ExecResult, Sandbox } from '../sandbox/types.js';
import { sq } from './util.js';

export interface BatchItem {
  script: string;
  timeoutMs: number;
}

export function batchScript(items: BatchItem[], nonce: string, cap = OUTPUT_CAP_BYTES): string {
  const lines = [
    'set +e',
    'd=$(mktemp -d) || exit 97',
    "trap 'rm -rf \"$d\"' EXIT",
    'run() {',
    '  rm -f "$d/po" "$d/pe" "$d/o" "$d/e"; mkfifo "$d/po" "$d/pe" || exit 97',
    `  head -c ${cap + 1} <"$d/po" >"$d/o" & h1=$!`,
    `  head -c ${cap + 1} <"$d/pe" >"$d/e" & h2=$!`,
    '  timeout -s KILL "$2" bash -c "$3" >"$d/po" 2>"$d/pe" </dev/null; rc=$?',
    '  wait "$h1" "$h2"',
    `  printf '%s %s %s ' ${sq(nonce)} "$1" "$rc"; base64 -w0 <"$d/o"; printf ' '; base64 -w0 <"$d/e"; printf '\\n'`,
    '}',
  ];
  items.forEach((it, i) => lines.push(`run ${i} ${Math.max(1, Math.ceil(it.timeoutMs / 1000))} ${sq(it.script)}`));
  return lines.join('\n');
}

export function parseBatch(stdout: string, nonce: string, count: number, cap = OUTPUT_CAP_BYTES): Array<ExecResult | undefined> {
  const out: Array<ExecResult | undefined> = new Array(count).fill(undefined);
  for (const line of stdout.split('\n')) {
    const parts = line.split(' ');
    if (parts.length !== 5 || parts[0] !== nonce) continue;
    const i = Number(parts[1]);
    const rc = Number(parts[2]);
    if (!Number.isInteger(i) || i < 0 || i >= count || out[i]) continue;
    const o = Buffer.from(parts[3]!, 'base64');
    const e = Buffer.from(parts[4]!, 'base64');
    const overflow = o.length > cap ? 'stdout' : e.length > cap ? 'stderr' : undefined;
    out[i] = {
      exitCode: rc,
      stdout: o.subarray(0, cap).toString('utf8'),
      stderr: e.subarray(0, cap).toString('utf8'),
      timedOut: rc === 137 && !overflow,
      durationMs: 0,
      ...(overflow ? { overflow } : {}),
    };
  }
  return out;
}

/** Runs the items in one exec; an item the exec did not report (it was cut short) gets the exec's failure. */
export async function runBatch(sandbox: Sandbox, host: string, netns: string | undefined, items: BatchItem[]): Promise<ExecResult[]> {
  const nonce = randomBytes(12).toString('hex');
  const timeoutMs = items.reduce((t, it) => t + it.timeoutMs, 5_000);
  const started = Date.now();
  const res = await sandbox.exec(host, 'exec bash -s', {
    netns,
    timeoutMs,
    stdin: batchScript(items, nonce),
    // every item may print its cap, base64-encoded (4/3), on one stream
    capBytes: items.length * (Math.ceil(((OUTPUT_CAP_BYTES + 1) * 4) / 3) + 64),
  });
  const durationMs = Date.now() - started;
  return parseBatch(res.stdout, nonce, items.length).map(
    (r) =>
      (r && { ...r, durationMs }) ?? {
        exitCode: res.exitCode === 0 ? -1 : res.exitCode,
        stdout: '',
        stderr: res.stderr || (res.timedOut ? '' : 'the batched checks stopped before this one ran'),
        timedOut: res.timedOut,
        durationMs,
        ...(res.overflow ? { overflow: res.overflow } : {}),
      },
  );
}
