// Running commands in a container through the Docker exec API: demuxed output, stdin, timeouts.
// Output is bounded: at most OUTPUT_CAP_BYTES per stream is kept; past it the stream is dropped,
// the process is killed, and the result says which stream overflowed.
import { readFile } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import type { ExecOptions, ExecResult } from '../types.js';
import { CappedBuffer, OUTPUT_CAP_BYTES } from '../../probe/bounded.js';
import { docker } from './client.js';

/** How long past `timeoutMs` we wait for `timeout -s KILL` before giving up on the stream. */
const GRACE_MS = 5000;

const envList = (env?: Record<string, string>) => Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`);

/** The argv that runs `script` with bash, in a network namespace when asked. */
export function bashArgv(script: string, netns?: string): string[] {
  return [...(netns ? ['ip', 'netns', 'exec', netns] : []), 'bash', '-c', script];
}

/** Starts `script` detached (its own session, output to a log file) and returns at once. */
export function backgroundArgv(netns?: string): string[] {
  const inner = netns ? 'ip netns exec "$NETDOJO_NETNS" bash -c "$NETDOJO_SCRIPT"' : 'bash -c "$NETDOJO_SCRIPT"';
  return [
    'bash',
    '-c',
    [
      'mkdir -p /var/log/netdojo',
      'log=/var/log/netdojo/bg-$(date +%s%N).log',
      `setsid nohup ${inner} >"$log" 2>&1 </dev/null &`,
      'echo "started pid $! (output: $log)"',
    ].join('\n'),
  ];
}

export async function execIn(container: Docker.Container, script: string, opts: ExecOptions = {}): Promise<ExecResult> {
  const started = Date.now();
  if (opts.background) {
    const env = { ...opts.env, NETDOJO_SCRIPT: script, ...(opts.netns ? { NETDOJO_NETNS: opts.netns } : {}) };
    const r = await runArgv(container, backgroundArgv(opts.netns), { env });
    return { ...r, durationMs: Date.now() - started };
  }
  let argv = bashArgv(script, opts.netns);
  if (opts.timeoutMs !== undefined) argv = ['timeout', '-s', 'KILL', `${Math.max(opts.timeoutMs, 1) / 1000}s`, ...argv];
  const r = await runArgv(container, argv, { env: opts.env, stdin: opts.stdin, capBytes: opts.capBytes, hardLimitMs: opts.timeoutMs === undefined ? undefined : opts.timeoutMs + GRACE_MS });
  const durationMs = Date.now() - started;
  // 137 = killed by SIGKILL; only the timeout's KILL when the deadline really passed
  const timedOut = r.timedOut || (opts.timeoutMs !== undefined && r.exitCode === 137 && durationMs >= opts.timeoutMs - 50);
  return { ...r, timedOut, durationMs };
}

interface RunOptions {
  /** bytes kept per stream (default 1 MiB) */
  capBytes?: number;
  env?: Record<string, string>;
  stdin?: string;
  hardLimitMs?: number;
  workingDir?: string;
}

/** Runs an argv and collects its output (stdout and stderr apart). */
export async function runArgv(container: Docker.Container, argv: string[], opts: RunOptions = {}): Promise<ExecResult> {
  const started = Date.now();
  const withStdin = opts.stdin !== undefined;
  const exec = await container.exec({
    Cmd: argv,
    AttachStdin: withStdin,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    Env: envList(opts.env),
    WorkingDir: opts.workingDir ?? '/root',
  });
  const stream = (await exec.start({ hijack: true, stdin: withStdin })) as NodeJS.ReadWriteStream & { destroy(): void };
  const out = new CappedBuffer(opts.capBytes ?? OUTPUT_CAP_BYTES);
  const err = new CappedBuffer(opts.capBytes ?? OUTPUT_CAP_BYTES);
  let overflow: 'stdout' | 'stderr' | undefined;
  let timedOut = false;
  let finish: (() => void) | undefined;
  const overflowed = (which: 'stdout' | 'stderr') => {
    if (overflow) return;
    overflow = which;
    // stop reading at once (server memory), then stop the producer
    stream.destroy();
    finish?.();
    void killExec(exec);
  };
  const stdout = new PassThrough().on('data', (d: Buffer) => void (out.push(d) || overflowed('stdout')));
  const stderr = new PassThrough().on('data', (d: Buffer) => void (err.push(d) || overflowed('stderr')));
  docker().modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      resolve();
    };
    finish = done;
    stream.once('end', done);
    stream.once('close', done);
    stream.once('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    if (opts.hardLimitMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        stream.destroy();
        resolve();
      }, opts.hardLimitMs);
    }
    if (withStdin) {
      stream.write(opts.stdin!);
      stream.end();
    }
  });
  // the stream can end a moment before the daemon records the exit code
  let info = await exec.inspect();
  for (let i = 0; info.Running && i < 100 && !timedOut && !overflow; i++) {
    await new Promise((r) => setTimeout(r, 10));
    info = await exec.inspect();
  }
  return {
    exitCode: timedOut || overflow ? 137 : (info.ExitCode ?? -1),
    stdout: out.text(),
    stderr: err.text(),
    timedOut,
    durationMs: Date.now() - started,
    ...(overflow ? { overflow } : {}),
  };
}

/**
 * Kills an exec's process tree (it printed past the cap). The engine reports the exec's pid in the
 * server's pid namespace when the server shares the host's; otherwise the exec's own `timeout`
 * ends it at its deadline (its output is no longer read either way).
 */
async function killExec(exec: Docker.Exec): Promise<void> {
  const pid = (await exec.inspect().catch(() => undefined))?.Pid;
  if (!pid) return;
  const tree = await descendants(pid);
  for (const p of [pid, ...tree]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone, or not ours to see */
    }
  }
}

async function descendants(pid: number, depth = 0): Promise<number[]> {
  if (depth > 16) return [];
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const kids = text.split(/\s+/).filter(Boolean).map(Number);
  const deeper = await Promise.all(kids.map((k) => descendants(k, depth + 1)));
  return [...kids, ...deeper.flat()];
}
