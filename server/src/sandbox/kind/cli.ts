// Running kind and kubectl as child processes (execa). One place that knows how a
// missing binary, a timeout and a non-zero exit look, so the provider can explain each.
import { execa } from 'execa';

/** Output kept per stream of a kind/kubectl run (as the docker provider bounds exec output). */
export const MAX_OUTPUT_BYTES = 1024 * 1024;

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** the binary is not on PATH */
  notFound: boolean;
  durationMs: number;
}

export interface CliOptions {
  timeoutMs?: number;
  input?: string;
  signal?: AbortSignal;
}

export interface CliRunner {
  run(bin: string, args: string[], opts?: CliOptions): Promise<CliResult>;
}

/** `env` overrides the process environment (tests put recording fakes first on PATH). */
export function execaRunner(env?: Record<string, string | undefined>): CliRunner {
  return {
    async run(bin, args, opts = {}) {
      const started = Date.now();
      const res = await execa(bin, args, {
        reject: false,
        env,
        extendEnv: true,
        timeout: opts.timeoutMs,
        input: opts.input,
        stdin: opts.input === undefined ? 'ignore' : undefined,
        cancelSignal: opts.signal,
        forceKillAfterDelay: 2_000,
        stripFinalNewline: false,
        // kind and kubectl talk little; a runaway one must not fill the server's memory
        maxBuffer: MAX_OUTPUT_BYTES,
      });
      const notFound = (res as { code?: string }).code === 'ENOENT';
      return {
        exitCode: typeof res.exitCode === 'number' ? res.exitCode : -1,
        stdout: String(res.stdout ?? ''),
        stderr: notFound ? `${bin}: not found` : String(res.stderr ?? ''),
        timedOut: Boolean(res.timedOut),
        notFound,
        durationMs: Date.now() - started,
      };
    },
  };
}

/** Last non-empty line of a command's stderr (or stdout) for one-line errors. */
export function lastLine(res: CliResult): string {
  const lines = `${res.stderr}\n${res.stdout}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const errLines = res.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  return (errLines.at(-1) ?? lines.at(-1) ?? `exit code ${res.exitCode}`).slice(0, 300);
}
