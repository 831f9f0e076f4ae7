// `netdojo ls [paths…]`: the catalog as a table (or JSON).
import type { Command } from 'commander';
import { loadLabs } from '../labs/loader.js';
import { orderLabs, orderProblems } from '../labs/order.js';
import { DEFAULT_LABS_DIR, displayPath } from '../labs/paths.js';
import { LOCALES, textIn, type Locale } from '../labs/schema.js';
import { formatProblem } from '../labs/source.js';
import { UserError } from '../util/errors.js';

export function register(program: Command): void {
  program
    .command('ls')
    .description('list labs in learning order (a lab after the labs it builds on): track, id, level, minutes, requirements, title')
    .argument('[paths...]', 'lab folders, lab.yaml files, or directories searched for lab.yaml', [DEFAULT_LABS_DIR])
    .option('--json', 'print the labs as JSON')
    .option('--lang <locale>', `language of the titles (${LOCALES.join(', ')})`, 'en')
    .action(async (paths: string[], opts: { json?: boolean; lang: string }) => {
      if (!(LOCALES as readonly string[]).includes(opts.lang)) throw new UserError(`unknown --lang '${opts.lang}' (expected ${LOCALES.join(', ')})`);
      const locale = opts.lang as Locale;
      const { labs, problems } = await loadLabs(paths);
      const errors = problems.filter((p) => p.severity === 'error');
      for (const p of errors) process.stderr.write(`${formatProblem(p)}\n`);
      if (errors.length) process.exitCode = 1;
      // only meaningful for the whole catalog: a subset may leave out the labs it builds on
      if (paths.length === 1 && paths[0] === DEFAULT_LABS_DIR) for (const p of orderProblems(labs)) process.stderr.write(`warning: ${p}\n`);
      const rows = orderLabs(labs).map(({ lab, file }) => ({
        track: lab.track,
        id: lab.id,
        level: lab.level,
        minutes: lab.minutes,
        requires: lab.requires,
        title: textIn(lab.title, locale),
        file: displayPath(file),
      }));
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const table = [
        ['TRACK', 'ID', 'LEVEL', 'MIN', 'REQUIRES', 'TITLE'],
        ...rows.map((r) => [r.track, r.id, r.level, String(r.minutes), r.requires.join(',') || '-', r.title]),
      ];
      const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
      for (const row of table) process.stdout.write(`${row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ')}\n`);
    });
}
