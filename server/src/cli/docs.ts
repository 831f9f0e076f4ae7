// `netdojo docs`: print or write docs/reference.md, generated from the lab format and the checkers.
import type { Command } from 'commander';
import { REFERENCE_FILE, referenceIsCurrent, renderReference, writeReference } from '../authoring/reference.js';
import { displayPath } from '../labs/paths.js';
import { UserError } from '../util/errors.js';

export function register(program: Command): void {
  const file = displayPath(REFERENCE_FILE);
  program
    .command('docs')
    .description('print the lab format reference (every field, every checker) generated from the schema')
    .option('--write', `write it to ${file} instead of printing it`)
    .option('--check', `exit 1 if ${file} is not up to date`)
    .action(async (opts: { write?: boolean; check?: boolean }) => {
      if (opts.check) {
        if (!(await referenceIsCurrent())) throw new UserError(`${file} is stale: run 'netdojo docs --write'`, 1);
        process.stdout.write(`${file} is up to date\n`);
      } else if (opts.write) process.stdout.write(`${file} ${(await writeReference()) ? 'written' : 'already up to date'}\n`);
      else process.stdout.write(renderReference());
    });
}
