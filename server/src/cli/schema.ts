// `netdojo schema`: print or write the lab format's JSON Schema (schema/lab.schema.json).
import type { Command } from 'commander';
import { labJsonSchemaIsCurrent, renderLabJsonSchema, writeLabJsonSchema } from '../labs/jsonschema.js';
import { displayPath, SCHEMA_FILE } from '../labs/paths.js';
import { UserError } from '../util/errors.js';

export function register(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of lab files (generated from the lab format)')
    .option('--write', `write it to ${displayPath(SCHEMA_FILE)} instead of printing it`)
    .option('--check', `exit 1 if ${displayPath(SCHEMA_FILE)} is not up to date`)
    .action(async (opts: { write?: boolean; check?: boolean }) => {
      if (opts.check) {
        if (!(await labJsonSchemaIsCurrent())) throw new UserError(`${displayPath(SCHEMA_FILE)} is stale: run 'netdojo schema --write'`, 1);
        process.stdout.write(`${displayPath(SCHEMA_FILE)} is up to date\n`);
      } else if (opts.write) {
        const changed = await writeLabJsonSchema();
        process.stdout.write(`${displayPath(SCHEMA_FILE)} ${changed ? 'written' : 'already up to date'}\n`);
      } else process.stdout.write(renderLabJsonSchema());
    });
}
