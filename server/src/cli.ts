// `netdojo`: one command for the CLI and the server. Each subcommand lives in ./cli/<name>.ts
// and registers itself on the program; this file only wires them together.
import { Command, CommanderError } from 'commander';
import { commands } from './cli/index.js';
import { UserError } from './util/errors.js';

const program = new Command('netdojo')
  .description('hands-on lab platform for container and Kubernetes networking')
  .version('0.1.0')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();

for (const register of commands) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode);
  if (err instanceof UserError) {
    process.stderr.write(`netdojo: ${err.message}\n`);
    process.exit(err.exitCode);
  }
  throw err;
}
