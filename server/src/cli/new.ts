// `netdojo new <track>/<id>`: scaffold a lab folder that validates and replays as generated.
import type { Command } from 'commander';
import { scaffoldLab } from '../authoring/scaffold.js';
import { DEFAULT_LABS_DIR, displayPath } from '../labs/paths.js';

export function register(program: Command): void {
  program
    .command('new')
    .description('scaffold a new lab: <labs>/<track>/<id>/lab.yaml, commented, valid and green as generated')
    .argument('<track/id>', 'track and lab id, e.g. linux/my-lab (lower-case letters, digits, dashes)')
    .option('--labs <dir>', 'the labs folder to create it in', DEFAULT_LABS_DIR)
    .option('--title <text>', 'the English title (default: the id in words)')
    .option('--force', 'overwrite an existing lab.yaml')
    .action(async (name: string, opts: { labs: string; title?: string; force?: boolean }) => {
      const made = await scaffoldLab({ name, labsDir: opts.labs, title: opts.title, force: opts.force });
      const dir = displayPath(made.dir);
      process.stdout.write(
        [
          `created ${displayPath(made.file)}`,
          '',
          'next:',
          `  netdojo validate ${dir}      check it (editors check it too: see docs/authoring.md)`,
          `  netdojo dev ${dir}           a live sandbox: check <step>, solve <step>, replay, shell <host>`,
          `  netdojo replay ${dir}        prove it: every check fails before its solve and passes after`,
          '',
        ].join('\n'),
      );
    });
}
