// `netdojo bench`: the figures of docs/dev/architecture.md "Targets", each beside a baseline measured in the same run.
import { InvalidArgumentError, type Command } from 'commander';

function count(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

interface BenchCliOptions {
  quick?: boolean;
  out: string;
  machine?: string;
  ready?: number;
  arrivals?: number;
  echo?: number;
  throughputMib?: number;
  check?: number;
  density?: number;
  class?: number;
  classWindow?: number;
  capacity?: true | number[];
  replay?: string[];
  only?: string[];
}

export function register(program: Command): void {
  program
    .command('bench')
    .description('measure session start (also under arrivals and for a class starting together), terminal latency and throughput, check latency, density, host-wide cost per session, capacity and replay time on this machine, each beside a baseline of the same work')
    .option('--quick', 'small counts for a smoke test (figures not comparable with a full run)')
    .option('--out <dir>', 'where the results are written', 'bench/results')
    .option('--machine <name>', 'machine name in the result file names (default: the host name)')
    .option('--ready <n>', 'session-ready samples, cold and warm each (full: 20)', count('--ready', 1, 1000))
    .option('--arrivals <n>', 'seconds of arrivals at one new session per second against the warm pool (full: 60)', count('--arrivals', 1, 3600))
    .option('--echo <n>', 'keystroke echo samples (full: 1000)', count('--echo', 1, 100_000))
    .option('--throughput-mib <n>', 'MiB of zeros fed to base64 for the throughput figure (full: 200)', count('--throughput-mib', 1, 4096))
    .option('--check <n>', 'Check samples (full: 30)', count('--check', 1, 10_000))
    .option('--density <n>', 'idle sessions held at once (full: 300)', count('--density', 1, 1000))
    .option('--class <n>', 'learners of a class pressing Start together against the default warm pool (full: 30)', count('--class', 1, 500))
    .option('--class-window <s>', 'seconds over which the class presses Start (full: 5)', count('--class-window', 1, 600))
    .option('--capacity [counts...]', 'also hold idle sessions at each count in turn (first = target) and report the first limit met, at most 15 min (full default when given: 300 400 500; quick: 2 3)', (v: string, prev: number[] | true | undefined) => [...(Array.isArray(prev) ? prev : []), count('--capacity', 1, 5000)(v)])
    .option('--only <figures...>', 'run only these figures (ids as in the results, e.g. capacity host-cost class-start)')
    .option('--replay <labs...>', 'labs (ids or folders) replayed with --jobs 1 and 2 (full: the whole catalog, labs/)')
    .action(async (o: BenchCliOptions) => {
      const { runBench, FULL_CAPACITY, QUICK } = await import('../bench/run.js');
      const { UserError } = await import('../util/errors.js');
      const counts = {
        ...(o.ready !== undefined ? { ready: o.ready } : {}),
        ...(o.arrivals !== undefined ? { arrivals: o.arrivals } : {}),
        ...(o.echo !== undefined ? { echo: o.echo } : {}),
        ...(o.throughputMib !== undefined ? { throughputMiB: o.throughputMib } : {}),
        ...(o.check !== undefined ? { check: o.check } : {}),
        ...(o.density !== undefined ? { density: o.density } : {}),
        ...(o.class !== undefined ? { class: o.class } : {}),
        ...(o.classWindow !== undefined ? { classWindowS: o.classWindow } : {}),
        ...(o.capacity !== undefined ? { capacity: o.capacity === true ? (o.quick ? QUICK.capacity : FULL_CAPACITY) : o.capacity } : {}),
        ...(o.replay !== undefined ? { replay: o.replay } : {}),
      };
      const { result, files } = await runBench({ quick: !!o.quick, counts, out: o.out, ...(o.only ? { only: o.only } : {}), ...(o.machine ? { machine: o.machine } : {}) }).catch((err: unknown) => {
        if (err instanceof UserError) throw err;
        throw new UserError(`the benchmark failed (what it made was removed): ${err instanceof Error ? err.message : String(err)}`);
      });
      const { toMarkdown } = await import('../bench/report.js');
      process.stdout.write(`${toMarkdown(result)}\nwritten: ${files.join(', ')}\n`);
      if (result.leftovers.length) process.exitCode = 1;
    });
}
