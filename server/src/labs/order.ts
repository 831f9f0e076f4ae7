// Labs in learning order: a lab comes after the labs it builds on (`after`), a track after the
// tracks its labs build on, and labs that do not depend on each other keep a stable order
// (easier level first, then id). `netdojo ls`, the API catalog and the web catalog all list
// labs in this order.
import type { Lab } from './schema.js';

type Orderable = { lab: Pick<Lab, 'id' | 'track' | 'level' | 'after'> };

const LEVEL_RANK: Record<Lab['level'], number> = { beginner: 0, intermediate: 1, advanced: 2 };

function compare(a: Orderable, b: Orderable): number {
  return LEVEL_RANK[a.lab.level] - LEVEL_RANK[b.lab.level] || a.lab.id.localeCompare(b.lab.id);
}

/**
 * Tracks in topological order of the `after` links between them, and within each track its labs in
 * topological order of the links inside it. References to labs not in the list are ignored, so a
 * subset orders the same way; labs or tracks caught in a cycle (orderProblems reports it) come
 * last, in the stable order.
 */
export function orderLabs<T extends Orderable>(labs: readonly T[]): T[] {
  const trackOf = new Map(labs.map((l) => [l.lab.id, l.lab.track]));
  const trackDeps = new Map<string, Set<string>>();
  for (const { lab } of labs) {
    const deps = trackDeps.get(lab.track) ?? new Set<string>();
    for (const d of lab.after) {
      const t = trackOf.get(d);
      if (t !== undefined && t !== lab.track) deps.add(t);
    }
    trackDeps.set(lab.track, deps);
  }
  const tracks = topological([...trackDeps.keys()], (t) => trackDeps.get(t)!, (t) => t, (a, b) => a.localeCompare(b));
  return tracks.flatMap((track) => {
    const inTrack = labs.filter((l) => l.lab.track === track);
    return topological(inTrack, (l) => l.lab.after.filter((d) => d !== l.lab.id && trackOf.get(d) === track), (l) => l.lab.id, compare);
  });
}

/** Kahn's algorithm, taking the smallest ready item first; items left in a cycle go last */
function topological<T>(items: readonly T[], deps: (item: T) => Iterable<string>, key: (item: T) => string, cmp: (a: T, b: T) => number): T[] {
  const known = new Set(items.map(key));
  const waiting = new Map(items.map((i) => [i, [...deps(i)].filter((d) => known.has(d))]));
  const done = new Set<string>();
  const out: T[] = [];
  for (;;) {
    const ready = [...waiting].filter(([, ds]) => ds.every((d) => done.has(d))).map(([i]) => i);
    if (ready.length === 0) break;
    const next = ready.sort(cmp)[0]!;
    waiting.delete(next);
    done.add(key(next));
    out.push(next);
  }
  return [...out, ...[...waiting.keys()].sort(cmp)];
}

/** `after` naming an unknown lab or itself, or forming a cycle: one line each */
export function orderProblems(labs: readonly Orderable[]): string[] {
  const ids = new Set(labs.map((l) => l.lab.id));
  const out: string[] = [];
  for (const { lab } of labs) {
    for (const dep of lab.after) {
      if (dep === lab.id) out.push(`${lab.id}: 'after' names the lab itself`);
      else if (!ids.has(dep)) out.push(`${lab.id}: 'after' names '${dep}', which is not in the catalog`);
    }
  }
  const deps = new Map(labs.map((l) => [l.lab.id, l.lab.after.filter((d) => ids.has(d) && d !== l.lab.id)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): void => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      out.push(`'after' forms a cycle: ${[...path.slice(path.indexOf(id)), id].join(' → ')}`);
      return;
    }
    state.set(id, 'visiting');
    for (const d of deps.get(id) ?? []) visit(d, [...path, id]);
    state.set(id, 'done');
  };
  for (const id of deps.keys()) visit(id, []);
  return out;
}
