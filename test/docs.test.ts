// Numbers and references in the docs come from the code: the README's lab counts are what
// `netdojo ls` lists, and design references point at docs/dev/architecture.md, which exists.
import { execa } from 'execa';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('docs', () => {
  it("the README's lab and track counts are the catalog's (`netdojo ls`)", async () => {
    const r = await execa('./bin/netdojo.mjs', ['ls', '--json'], { cwd: ROOT, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const labs = JSON.parse(r.stdout) as Array<{ track: string; id: string }>;
    const perTrack = new Map<string, number>();
    for (const l of labs) perTrack.set(l.track, (perTrack.get(l.track) ?? 0) + 1);

    const readme = readFileSync(resolve(ROOT, 'README.md'), 'utf8');
    const row = readme.split('\n').find((l) => l.startsWith('| **Labs** |'));
    expect(row, 'the README has a "| **Labs** |" row').toBeDefined();
    const total = /(\d+) labs in (\d+) tracks/.exec(row!);
    expect(total, row).not.toBeNull();
    const said = new Map([...row!.matchAll(/`([a-z0-9-]+)` \((\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
    expect({ labs: Number(total![1]), tracks: Number(total![2]), perTrack: Object.fromEntries(said) }).toEqual({
      labs: labs.length,
      tracks: perTrack.size,
      perTrack: Object.fromEntries(perTrack),
    });
  }, 60_000);

  it('no source cites the founding brief ("DESIGN §N"); the architecture document they cite exists', async () => {
    const r = await execa('git', ['grep', '-n', '-I', 'DESIGN §', '--', 'server', 'web', 'test', 'infra', 'bin', 'docs', 'README.md', ':!test/docs.test.ts'], { cwd: ROOT, reject: false });
    expect(r.stdout).toBe('');
    expect(existsSync(resolve(ROOT, 'docs/dev/architecture.md'))).toBe(true);
    const cites = await execa('git', ['grep', '-l', 'docs/dev/architecture.md', '--', 'server', 'infra', 'test'], { cwd: ROOT, reject: false });
    expect(cites.stdout.split('\n').filter(Boolean).length).toBeGreaterThan(5);
  });
});
