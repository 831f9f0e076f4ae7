// `netdojo validate [paths…]`: load and lint labs without running anything.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { LineCounter, parseDocument } from 'yaml';
import { typedAlternative } from '../checks/typed-hint.js';
import { strictAdvice } from '../labs/lint.js';
import { hasErrors, loadLabs } from '../labs/loader.js';
import { DEFAULT_LABS_DIR, displayPath } from '../labs/paths.js';
import type { LoadedLab } from '../labs/schema.js';
import { formatProblem, LabSource, type Problem } from '../labs/source.js';

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
    for (const loaded of labs) problems.push(...(await typedCheckAdvice(loaded)));
    if (strict) for (const loaded of labs) problems.push(...(await strictProblems(loaded)));
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

/** Advice that only --strict gives (a step where a mistake is plausible declares near-misses). */
async function strictProblems(loaded: LoadedLab): Promise<Problem[]> {
  const text = await readFile(loaded.file, 'utf8');
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  return strictAdvice(loaded.lab, new LabSource(loaded.file, text, doc, lines));
}

/** Warnings: a shell check that only runs `ip route`, `iptables -S`, `ping` … (a typed check reads that out-of-band). */
async function typedCheckAdvice(loaded: LoadedLab): Promise<Problem[]> {
  const hints = loaded.lab.steps.flatMap((s, si) =>
    s.checks.flatMap((c, ci) => {
      const alt = 'shell' in c ? typedAlternative(c.shell.run) : undefined;
      return alt ? [{ path: ['steps', si, 'checks', ci, 'shell', 'run'], id: c.id, ...alt }] : [];
    }),
  );
  if (!hints.length) return [];
  const text = await readFile(loaded.file, 'utf8');
  const lines = new LineCounter();
  const src = new LabSource(loaded.file, text, parseDocument(text, { lineCounter: lines }), lines);
  return hints.map((h) =>
    src.problem(h.path, `shell check '${h.id}' only runs ${h.what}: a typed '${h.kind}' check reads that from outside the sandbox (a learner cannot fake it) and says what is missing (docs/reference.md#${h.kind})`, 'warning'),
  );
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function register(program: Command): void {
  program
    .command('validate')
    .description('check lab files (schema, ids, hosts, regexes, addresses, assets) without running anything')
    .argument('[paths...]', 'lab folders, lab.yaml files, or directories searched for lab.yaml', [DEFAULT_LABS_DIR])
    .option('--json', 'print the result as JSON')
    .option('--strict', 'treat warnings as errors (exit 1 on any problem), and warn about steps whose solve has more than one command or whose checks judge more than existence but that declare no near-misses, or with fewer than two hint levels while other steps of the lab have them')
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
