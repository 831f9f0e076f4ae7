import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLab } from './loader.js';

const FILE = join(import.meta.dirname, 'fixtures', 'valid', 'multi-host', 'lab.yaml');
const base = readFileSync(FILE, 'utf8');

function problems(text: string): string[] {
  return parseLab(text, FILE).problems.map((p) => `${p.line}:${p.col}: ${p.severity}: ${p.message}`);
}

describe('run blocks of a multi-host lab name their host', () => {
  it('the fixture, whose blocks all name a host, is clean', () => {
    expect(problems(base)).toEqual([]);
  });

  it('a block without host= is an error at the block, naming the hosts', () => {
    const text = base.replace('```bash run host=node2\n', '```bash run\n');
    expect(text).not.toBe(base);
    const line = text.split('\n').findIndex((l) => l.trim() === '```bash run') + 1;
    const col = text.split('\n')[line - 1]!.indexOf('```') + 1;
    expect(problems(text)).toEqual([
      `${line}:${col}: error: run block '\`\`\`bash run' names no host, and this lab has 2 (node1, node2): add host=NAME so it is typed into that host's terminal`,
    ]);
  });

  it('an unknown host is an error too', () => {
    const text = base.replace('```bash run host=node2\n', '```bash run host=node3\n');
    expect(problems(text).join('\n')).toMatch(/^\d+:\d+: error: unknown host 'node3' in code block attribute/);
  });

  it('a one-host lab and a kind lab need no host=', () => {
    const oneHost = base.replace('```bash run host=node2\n', '```bash run\n').replace(/ {4}- name: node2\n/, '');
    // node2 is gone from the hosts; keep only the complaints about it, none about the block
    expect(problems(oneHost).filter((p) => p.includes('names no host'))).toEqual([]);
    const kind = base.replace('```bash run host=node2\n', '```bash run\n').replace('provider: docker', 'provider: kind');
    expect(problems(kind)).toEqual([]);
  });
});
