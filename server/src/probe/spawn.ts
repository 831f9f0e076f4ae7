// Runs one of the server's own tools, optionally inside a network namespace given as an open fd
// (stdio slot 3, entered with `nsenter --net=/proc/self/fd/3`). Output is capped per stream, and
// the whole process group is killed past the cap, the timeout, or an abort.
import { spawn } from 'node:child_process';
import type { ExecResult } from '../sandbox/types.js';
import { CappedBuffer, OUTPUT_CAP_BYTES } from './bounded.js';
import { SYSTEM_PATH } from './tools.js';

export interface HostRunOptions {
  /** an open netns fd to run in (needs `nsenter` in `nsenter`) */
  netnsFd?: number;
  nsenter?: string;
  timeoutMs: number;
  signal?: AbortSignal;
  capBytes?: number;
  /** called with every stdout chunk (before capping), e.g. to watch for a line */
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

/** The environment of every out-of-band probe: nothing of the server's own, nothing of a sandbox. */
export const PROBE_ENV = { PATH: SYSTEM_PATH, LC_ALL: 'C', HOME: '/nonexistent' };

export interface HostProcess {
  /** resolves when the process has exited and its output is drained */
  done: Promise<ExecResult>;
  /** SIGINT to the group (tcpdump flushes and exits) */
  interrupt(): void;
  kill(): void;
}

export function startHost(argv: string[], opts: HostRunOptions): HostProcess {
  const started = Date.now();
  const cmd = opts.netnsFd !== undefined ? [opts.nsenter ?? 'nsenter', '--net=/proc/self/fd/3', '--', ...argv] : argv;
  const stdio: Array<'ignore' | 'pipe' | number> = ['ignore', 'pipe', 'pipe'];
  if (opts.netnsFd !== undefined) stdio.push(opts.netnsFd);
  const child = spawn(cmd[0]!, cmd.slice(1), { stdio, env: PROBE_ENV, detached: true, cwd: '/' });
  const out = new CappedBuffer(opts.capBytes ?? OUTPUT_CAP_BYTES);
  const err = new CappedBuffer(opts.capBytes ?? OUTPUT_CAP_BYTES);
  let timedOut = false;
  let overflow: 'stdout' | 'stderr' | undefined;
  let exited = false;
  const signalGroup = (sig: NodeJS.Signals) => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  const kill = () => signalGroup('SIGKILL');
  child.stdout!.on('data', (d: Buffer) => {
    opts.onStdout?.(d);
    if (!out.push(d) && !overflow) {
      overflow = 'stdout';
      kill();
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    opts.onStderr?.(d);
    if (!err.push(d) && !overflow) {
      overflow = 'stderr';
      kill();
    }
  });
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, opts.timeoutMs);
  const onAbort = () => kill();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const done = new Promise<ExecResult>((resolve) => {
    let spawnError: Error | undefined;
    child.once('error', (e) => {
      spawnError = e;
      // a process that never started emits no 'close' on some paths: do not wait for one
      setTimeout(() => child.emit('close', null, null), 100).unref();
    });
    // a grandchild that left the group may hold the pipes open: stop reading shortly after the exit
    child.once('exit', () => {
      setTimeout(() => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      }, 500).unref();
    });
    child.once('close', (code, sig) => {
      exited = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({
        exitCode: spawnError ? 127 : (code ?? (sig ? 128 + (sigNumber(sig) ?? 9) : -1)),
        stdout: out.text(),
        stderr: spawnError ? `${cmd[0]}: ${spawnError.message}` : err.text(),
        timedOut,
        durationMs: Date.now() - started,
        ...(overflow ? { overflow } : {}),
      });
    });
  });
  return { done, interrupt: () => signalGroup('SIGINT'), kill };
}

export function runHost(argv: string[], opts: HostRunOptions): Promise<ExecResult> {
  return startHost(argv, opts).done;
}

const SIGNALS: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15, SIGPIPE: 13 };
const sigNumber = (s: NodeJS.Signals) => SIGNALS[s];
