import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadLabs } from './loader.js';
import { orderLabs, orderProblems } from './order.js';
import { DEFAULT_LABS_DIR } from './paths.js';
import type { Lab } from './schema.js';

const lab = (id: string, track: string, after: string[] = [], level: Lab['level'] = 'beginner') => ({ lab: { id, track, after, level } });
const ids = (labs: Array<{ lab: { id: string } }>) => labs.map((l) => l.lab.id);

describe('learning order', () => {
  it('puts a lab after the labs it builds on, not in alphabetical order', () => {
    const labs = [lab('b-second', 't', ['c-first']), lab('a-third', 't', ['b-second']), lab('c-first', 't')];
    expect(ids(orderLabs(labs))).toEqual(['c-first', 'b-second', 'a-third']);
  });

  it('orders tracks by the links between them, and independent labs by level, then id', () => {
    const labs = [
      lab('k-adv', 'kube', ['l-one'], 'advanced'),
      lab('k-int', 'kube', ['l-one'], 'intermediate'),
      lab('a-int', 'kube', ['l-one'], 'intermediate'),
      lab('l-one', 'linux'),
    ];
    expect(ids(orderLabs(labs))).toEqual(['l-one', 'a-int', 'k-int', 'k-adv']);
  });

  it('orders a subset the same way, ignoring labs it does not contain', () => {
    const labs = [lab('z', 't', ['y', 'elsewhere']), lab('y', 't', ['x'])];
    expect(ids(orderLabs(labs))).toEqual(['y', 'z']);
  });

  it('reports unknown labs, self references and cycles, and still lists every lab', () => {
    const labs = [lab('a', 't', ['b']), lab('b', 't', ['a']), lab('c', 't', ['c', 'nope'])];
    expect(orderProblems(labs)).toEqual([
      "c: 'after' names the lab itself",
      "c: 'after' names 'nope', which is not in the catalog",
      "'after' forms a cycle: a → b → a",
    ]);
    expect(ids(orderLabs(labs)).sort()).toEqual(['a', 'b', 'c']);
  });

  it('the catalog: every lab says what it builds on, the links hold, netns-veth comes before netns-bridge', async () => {
    const { labs } = await loadLabs([DEFAULT_LABS_DIR]);
    expect(labs.length).toBeGreaterThan(20);
    for (const l of labs) expect(readFileSync(l.file, 'utf8'), l.file).toMatch(/^after: \[.*\]$/m);
    expect(orderProblems(labs)).toEqual([]);
    const order = ids(orderLabs(labs));
    expect(order.indexOf('netns-veth')).toBeLessThan(order.indexOf('netns-bridge'));
    expect(order[0]).toBe('netns-veth');
    // every lab with a link inside its track comes after it
    for (const l of labs) for (const d of l.lab.after) expect(order.indexOf(d), `${l.lab.id} after ${d}`).toBeLessThan(order.indexOf(l.lab.id));
  });
});
