// `netdojo images build|ls`: the sandbox images (infra/images/<name>/Dockerfile).
import type { Command } from 'commander';
import { buildImages, imageStates } from '../images/build.js';

export function register(program: Command): void {
  const images = program.command('images').description('build and list the sandbox images (netdojo/netbox, netdojo/dind)');

  images
    .command('build')
    .description('build sandbox images that are missing or changed (imports the Debian base if absent)')
    .argument('[names...]', 'images to build (netbox, dind); all when omitted')
    .option('--force', 'rebuild even when up to date, without the layer cache')
    .option('--verbose', 'show every line of the build output, not only the steps')
    .action(async (names: string[], opts: { force?: boolean; verbose?: boolean }) => {
      const log = (line: string) => process.stdout.write(`${line}\n`);
      const outcomes = await buildImages(names, { force: opts.force, verbose: opts.verbose, onProgress: log });
      const built = outcomes.filter((o) => o.status === 'built').length;
      log(`images: ${built} built, ${outcomes.length - built} up to date`);
    });

  images
    .command('ls')
    .description('list the sandbox images, their size and whether they match their Dockerfile')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { json?: boolean }) => {
      const states = await imageStates();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(states, null, 2)}\n`);
        return;
      }
      const rows = states.map((s) => [
        s.tag,
        s.present ? s.imageId!.slice(7, 19) : '-',
        s.present ? `${(s.sizeBytes! / 1e6).toFixed(0)} MB` : '-',
        !s.present ? 'missing' : s.upToDate ? 'up to date' : 'stale (run: netdojo images build)',
      ]);
      const header = ['IMAGE', 'ID', 'SIZE', 'STATE'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      for (const r of [header, ...rows]) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`);
    });
}
