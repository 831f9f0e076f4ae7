// `netdojo dev <lab>`: a live sandbox for the author, re-validated on save, driven from a prompt.
import { InvalidArgumentError, type Command } from 'commander';
import { DevSession, DEV_HELP } from '../authoring/dev.js';
import { loadLabFile } from '../labs/loader.js';
import { LOCALES, type Locale } from '../labs/schema.js';
import { ProviderRegistry } from '../sandbox/registry.js';

function locale(value: string): Locale {
  if (!(LOCALES as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${LOCALES.join(', ')}`);
  return value as Locale;
}

export function register(program: Command): void {
  program
    .command('dev')
    .description('develop a lab: one live sandbox, re-validated on every save, with a prompt (check, solve, replay, try a variant, shell, reset)')
    .argument('<lab>', 'a lab folder or its lab.yaml')
    .option('--locale <locale>', `language of check titles and hints (${LOCALES.join(', ')})`, locale, 'en')
    .option('--allow-no-userns', 'let the docker provider run without a user-namespaced engine (a trusted single-user machine only)')
    .addHelpText('after', `\nAt the prompt:\n${DEV_HELP.slice(1).join('\n')}\n`)
    .action(async (file: string, opts: { locale: Locale; allowNoUserns?: boolean }) => {
      const loaded = await loadLabFile(file);
      const providers = new ProviderRegistry({ allowNoUserns: opts.allowNoUserns ?? false });
      const session = new DevSession({ loaded, providers, locale: opts.locale });
      try {
        await session.run();
      } catch (err) {
        await session.quit(2);
        throw err;
      }
      // stdin may hold the event loop open (a TTY): leave explicitly
      process.exit(session.exitCode);
    });
}
