// `netdojo rm <session…>`: remove a sandbox left up by `replay --keep` (or a crashed `netdojo dev`).
import type { Command } from 'commander';
import { defaultProviders, PROVIDER_NAMES } from '../sandbox/registry.js';
import type { ProviderName } from '../sandbox/types.js';
import { UserError } from '../util/errors.js';

export function register(program: Command): void {
  program
    .command('rm')
    .description('remove sandboxes by session id (as printed by `netdojo replay --keep`): containers, networks, volumes')
    .argument('<sessions...>', 'session ids, e.g. replay-3f2a9c01de')
    .option('--provider <name>', `the provider that created them (${PROVIDER_NAMES.join(', ')})`, 'docker')
    .action(async (sessions: string[], opts: { provider: string }) => {
      if (!(PROVIDER_NAMES as readonly string[]).includes(opts.provider)) throw new UserError(`unknown provider '${opts.provider}' (${PROVIDER_NAMES.join(', ')})`);
      const provider = await defaultProviders().get(opts.provider as ProviderName);
      let missing = 0;
      for (const sessionId of sessions) {
        const before = await provider.leftovers(sessionId);
        if (!before.length) {
          process.stderr.write(`netdojo: no sandbox with session id ${sessionId}\n`);
          missing++;
          continue;
        }
        await provider.destroy({ provider: provider.name, sessionId, labId: '' }).catch((err: unknown) => {
          throw new UserError(err instanceof Error ? err.message : String(err), 1);
        });
        const after = await provider.leftovers(sessionId);
        if (after.length) throw new UserError(`could not remove everything of ${sessionId}: ${after.join(', ')} remain`, 1);
        process.stdout.write(`removed ${sessionId} (${before.length} object${before.length === 1 ? '' : 's'})\n`);
      }
      if (missing) process.exitCode = 1;
    });
}
