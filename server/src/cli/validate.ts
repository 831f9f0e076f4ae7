// `netdojo validate [paths…]`: load and lint labs without running anything.
import type { Command } from 'commander';
import { hasErrors, loadLabs } from '../labs/loader.js';
import { DEFAULT_LABS_DIR, displayPath } from '../labs/paths.js';
import { formatProblem, type Problem } from '../labs/source.js';

export interface ValidateReport {
  ok: boolean;
  labs: Array<{ id: string; file: string }>;
  problems: Problem[];
  summary: { valid: number; withErrors: number; errors: number; warnings: number };
}

export async function validate(paths: string[], strict = false): Promise<ValidateReport> {
  const { labs, problems } = await loadLabs(paths);
  if (labs.length > 0) {
    // Kubernetes manifests, kind configs and shell are checked offline; loaded lazily (large schemas).
    const { validateManifests } = await import('../k8s/validate.js');
    for (const loaded of labs) problems.push(...validateManifests(loaded.dir));
  }
  const errors = problems.filter((p) => p.severity === 'error');
  const warnings = problems.length - errors.length;
  const ok = strict ? problems.length === 0 : !hasErrors(problems);
  return {
    ok,
    labs: labs.map((l) => ({ id: l.lab.id, file: displayPath(l.file) })),
    problems: problems.map((p) => ({ ...p, file: displayPath(p.file) })),
    summary: { valid: labs.length, withErrors: new Set(errors.map((p) => p.file)).size, errors: errors.length, warnings },
  };
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function register(program: Command): void {
  program
    .command('validate')
    .description('check lab files (schema, ids, hosts, regexes, addresses, assets) without running anything')
    .argument('[paths...]', 'lab folders, lab.yaml files, or directories searched for lab.yaml', [DEFAULT_LABS_DIR])
    .option('--json', 'print the result as JSON')
    .option('--strict', 'treat warnings as errors (exit 1 on any problem)')
    .action(async (paths: string[], opts: { json?: boolean; strict?: boolean }) => {
      const report = await validate(paths, opts.strict);
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else {
        for (const p of report.problems) process.stdout.write(`${formatProblem(p)}\n`);
        const { valid, withErrors, warnings } = report.summary;
        const tail = warnings ? `, ${plural(warnings, 'warning')}` : '';
        process.stdout.write(`${plural(valid, 'lab')} valid, ${withErrors} with errors${tail}\n`);
      }
      if (!report.ok) process.exitCode = 1;
    });
}
