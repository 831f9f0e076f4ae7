// `netdojo --help` and every subcommand's `--help` are true: each option is listed, with a
// description of one line, in the real CLI's output.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commands } from '../../server/src/cli/index.js';
import { netdojo } from './helpers.js';

function program(): Command {
  const p = new Command('netdojo');
  for (const register of commands) register(p);
  return p;
}

/** Every command below the program, as the words that name it: ['images', 'build'] … */
function walk(cmd: Command, path: string[] = []): Array<{ path: string[]; cmd: Command }> {
  return cmd.commands.flatMap((c) => [{ path: [...path, c.name()], cmd: c }, ...walk(c, [...path, c.name()])]);
}

const all = walk(program());

describe('help', () => {
  it('every command and option has a one-line description', () => {
    expect(all.map((c) => c.path.join(' '))).toEqual(expect.arrayContaining(['new', 'dev', 'docs', 'rm', 'replay', 'validate']));
    for (const { path, cmd } of all) {
      expect(cmd.description(), path.join(' ')).toMatch(/^[^\n]+$/);
      for (const o of cmd.options) expect(o.description, `${path.join(' ')} ${o.flags}`).toMatch(/^[^\n]+$/);
    }
  });

  it('`netdojo --help` lists every command', async () => {
    const r = await netdojo(['--help']);
    expect(r.code).toBe(0);
    for (const { path } of all.filter((c) => c.path.length === 1)) expect(r.stdout).toMatch(new RegExp(`^  ${path[0]}\\b`, 'm'));
  });

  it.each(all.map((c) => [c.path.join(' '), c] as const))('`netdojo %s --help` lists each of its options', async (_name, { path, cmd }) => {
    const r = await netdojo([...path, '--help']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Usage: netdojo ${path.join(' ')}`);
    for (const o of cmd.options) {
      const line = r.stdout.split('\n').find((l) => l.trimStart().startsWith(o.flags));
      expect(line, `${path.join(' ')}: ${o.flags}`).toBeDefined();
      // the description starts on the option's own line
      expect(line!.slice(line!.indexOf(o.flags) + o.flags.length).trim().length, `${path.join(' ')}: ${o.flags}`).toBeGreaterThan(0);
    }
  });
});
