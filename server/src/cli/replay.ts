// `netdojo replay [lab|dir…]`: prove labs from fresh sandboxes (docs/dev/architecture.md, "A replay") and report.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { loadLabs } from '../labs/loader.js';
import { DEFAULT_LABS_DIR, displayPath } from '../labs/paths.js';
import { formatProblem } from '../labs/source.js';
import { LOCALES, type Locale, type LoadedLab } from '../labs/schema.js';
import { ProviderRegistry } from '../sandbox/registry.js';
import { consoleSummary, progressLine } from '../runner/report-console.js';
import { toJson } from '../runner/report-json.js';
import { toJUnit } from '../runner/report-junit.js';
import { replayMany, selectVariants } from '../runner/replay.js';
import { UserError } from '../util/errors.js';
import { keptRunHelp } from '../authoring/kept.js';

interface ReplayCliOptions {
  jobs: number;
  junit?: string;
  json?: string;
  locale: Locale;
  allowNoUserns?: boolean;
  quiet?: boolean;
  from?: string;
  step?: string;
  keep?: boolean;
  variants: boolean;
  variant?: string[];
}

function collect(value: string, previous: string[] = []): string[] {
  if (!/^[a-z0-9-]+\/[a-z0-9-]+$/.test(value)) throw new InvalidArgumentError('<step>/<id>, e.g. forward/policy-accept');
  return [...previous, value];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 32) throw new InvalidArgumentError('a whole number from 1 to 32');
  return n;
}

function locale(value: string): Locale {
  if (!(LOCALES as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${LOCALES.join(', ')}`);
  return value as Locale;
}

/** Arguments that are neither files nor folders may name a lab id in the catalog. */
async function resolveLabs(args: string[]): Promise<{ labs: LoadedLab[]; errors: string[] }> {
  const paths = args.filter((a) => existsSync(a) || !/^[a-z0-9][a-z0-9-]*$/.test(a));
  const ids = args.filter((a) => !paths.includes(a));
  const { labs, problems } = await loadLabs(paths.length || !ids.length ? paths : []);
  const errors = problems.filter((p) => p.severity === 'error').map((p) => formatProblem({ ...p, file: displayPath(p.file) }));
  if (ids.length) {
    const catalog = await loadLabs([DEFAULT_LABS_DIR]);
    for (const id of ids) {
      const hit = catalog.labs.find((l) => l.lab.id === id);
      if (hit) labs.push(hit);
      else errors.push(`${id}: no such file, folder or lab id in ${DEFAULT_LABS_DIR}/`);
    }
  }
  return { labs, errors };
}

async function writeReport(file: string, text: string): Promise<void> {
  const path = resolve(file);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, text);
}

export function register(program: Command): void {
  program
    .command('replay')
    .description('replay labs from fresh sandboxes: every check must fail before its solve and pass after it')
    .argument('[labs...]', 'lab folders, lab.yaml files, directories searched for labs, or lab ids', [DEFAULT_LABS_DIR])
    .option('-j, --jobs <n>', 'sandboxes at the same time: labs, and the near-misses and alternatives that each get their own', positiveInt, 2)
    .option('--junit <file>', 'write a JUnit XML report (a testsuite per lab, a testcase per check)')
    .option('--json <file>', 'write the full results as JSON')
    .option('--locale <locale>', `language of check titles and hints in reports (${LOCALES.join(', ')})`, locale, 'en')
    .option('--allow-no-userns', 'let the docker provider run without a user-namespaced engine (a trusted single-user machine only)')
    .option('-q, --quiet', 'no progress lines, only the summary')
    .option('--from <step>', 'replay from this step on; the steps before it only run setup + solve (one lab)')
    .option('--step <step>', 'replay only this step; the steps before it only run setup + solve (one lab)')
    .option('--keep', 'on failure leave the sandbox up and print how to get a shell into it and remove it (not the variants\' sandboxes)')
    .option('--no-variants', 'do not prove the steps\' near-misses and alternatives (each needs a fresh sandbox)')
    .option('--variant <step/id>', 'prove only this near-miss or alternative, not the lab\'s steps (repeatable; one lab)', collect)
    .action(async (args: string[], opts: ReplayCliOptions) => {
      const { labs, errors } = await resolveLabs(args);
      for (const e of errors) process.stderr.write(`${e}\n`);
      if (!labs.length) throw new UserError(errors.length ? 'no valid lab to replay' : `no lab found in ${args.join(' ')}`);
      if ((opts.from || opts.step) && labs.length !== 1) throw new UserError(`--from and --step name a step of one lab; ${labs.length} labs were given`);
      if (opts.from && opts.step) throw new UserError('give --from or --step, not both');
      if (opts.variant && labs.length !== 1) throw new UserError(`--variant names a variant of one lab; ${labs.length} labs were given`);
      if (opts.variant && (opts.from || opts.step || !opts.variants)) throw new UserError('--variant runs only the variants it names: give it without --from, --step or --no-variants');
      if (opts.variant) {
        const { error } = selectVariants(labs[0]!.lab, { only: opts.variant });
        if (error) throw new UserError(error);
      }
      for (const wanted of [opts.from, opts.step]) {
        const steps = labs[0]!.lab.steps.map((st) => st.id);
        if (wanted && !steps.includes(wanted)) throw new UserError(`no step '${wanted}' in lab ${labs[0]!.lab.id} (steps: ${steps.join(', ')})`);
      }

      const summary = await replayMany(labs, {
        provider: new ProviderRegistry({ allowNoUserns: opts.allowNoUserns ?? false }),
        jobs: opts.jobs,
        locale: opts.locale,
        from: opts.from,
        step: opts.step,
        keep: opts.keep,
        variants: opts.variants,
        only: opts.variant,
        onEvent: opts.quiet
          ? undefined
          : (e) => {
              const line = progressLine(e);
              if (line) process.stdout.write(`${line}\n`);
            },
      });
      process.stdout.write(consoleSummary(summary));
      for (const [i, run] of summary.labs.entries()) {
        const env = labs[i]!.lab.environment;
        process.stdout.write(keptRunHelp(run, env.hosts.map((h) => h.name), env.provider));
      }
      if (opts.junit) await writeReport(opts.junit, toJUnit(summary));
      if (opts.json) await writeReport(opts.json, toJson(summary));
      if (summary.failed > 0 || errors.length > 0) process.exitCode = 1;
    });
}
