// Positions in a lab file: problems carry `file:line:col`, found from the YAML document's nodes.
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { z } from 'zod';
import { displayPath } from './paths.js';

export type Severity = 'error' | 'warning';

/** One thing wrong with a lab file, at a 1-based line and column. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  severity: Severity;
  message: string;
}

export type Path = ReadonlyArray<string | number>;

/** `file:line:col: error: reason` — one line, the form editors and CI logs understand. */
export function formatProblem(p: Problem, cwd?: string): string {
  return `${displayPath(p.file, cwd)}:${p.line}:${p.col}: ${p.severity}: ${p.message}`;
}

export function byPosition(a: Problem, b: Problem): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col;
}

/** A parsed lab file: finds the node (and the key) at a data path such as `steps.0.checks.1.ping`. */
export class LabSource {
  constructor(
    readonly file: string,
    readonly text: string,
    readonly doc: Document.Parsed,
    readonly lines: LineCounter,
  ) {}

  /** The deepest node on `path` (value node, and the key node when the last step was a map key). */
  locate(path: Path): { node: Node | null; key: Node | null; found: boolean } {
    let node = this.doc.contents as Node | null;
    let key: Node | null = null;
    for (const seg of path) {
      if (node && isAlias(node)) node = (node.resolve(this.doc) as Node | undefined) ?? node;
      if (node && isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(seg));
        if (!pair) return { node, key, found: false };
        key = pair.key as Node;
        node = (pair.value as Node | null) ?? key;
      } else if (node && isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (!item) return { node, key, found: false };
        key = null;
        node = item;
      } else return { node, key, found: false };
    }
    return { node, key, found: true };
  }

  /** Line and column of the value at `path` (or of its key), or of the deepest node that exists. */
  position(path: Path, at: 'value' | 'key' = 'value'): { line: number; col: number } {
    const { node, key } = this.locate(path);
    const target = at === 'key' && key ? key : node;
    const start = target?.range?.[0] ?? 0;
    return this.lines.linePos(start);
  }

  problem(path: Path, message: string, severity: Severity = 'error', at: 'value' | 'key' = 'value'): Problem {
    return { file: this.file, ...this.position(path, at), severity, message };
  }

  /** A problem on a given 1-based line of the file. */
  problemAtLine(line: number, col: number, message: string, severity: Severity = 'error'): Problem {
    return { file: this.file, line, col, severity, message };
  }

  /** The 1-based line span of the node at `path`. */
  lineSpan(path: Path): { from: number; to: number } | undefined {
    const { node, found } = this.locate(path);
    if (!found || !node?.range) return undefined;
    return { from: this.lines.linePos(node.range[0]).line, to: this.lines.linePos(Math.max(node.range[0], node.range[1] - 1)).line };
  }

  /** The text of a 1-based source line. */
  sourceLine(line: number): string {
    const starts = this.lines.lineStarts;
    const from = starts[line - 1];
    if (from === undefined) return '';
    const to = starts[line] ?? this.text.length;
    return this.text.slice(from, to).replace(/\r?\n$/, '');
  }
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

/** The value at `path` inside plain data. */
export function valueAt(data: unknown, path: Path): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

// ---- walking zod schemas (to name the fields an object accepts and to find typed fields) ----

type AnyZod = z.ZodType;
interface Def {
  type: string;
  innerType?: AnyZod;
  in?: AnyZod;
  shape?: Record<string, AnyZod>;
  element?: AnyZod;
  valueType?: AnyZod;
  options?: AnyZod[];
}
export function defOf(s: AnyZod): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

/** Strip optional/default/nullable wrappers. */
export function unwrap(s: AnyZod): AnyZod {
  for (;;) {
    const d = defOf(s);
    if (d.innerType && ['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch', 'nonoptional'].includes(d.type)) s = d.innerType;
    else if (d.type === 'pipe' && d.in) s = d.in;
    else return s;
  }
}

/** The shape of an object schema (after unwrapping), or undefined. */
export function shapeOf(s: AnyZod | undefined): Record<string, AnyZod> | undefined {
  if (!s) return undefined;
  const d = defOf(unwrap(s));
  return d.type === 'object' ? d.shape : undefined;
}

/** Two schemas are the same type when they share a definition (`.meta()` clones keep it). */
export function sameSchema(a: AnyZod, b: AnyZod): boolean {
  return defOf(unwrap(a)) === defOf(unwrap(b));
}

/**
 * The schema that applies at `path` under `root`. Unions are resolved by the next path step (the
 * option whose shape has that key), or by `data` when the path ends at the union.
 */
export function schemaAt(root: AnyZod, path: Path, data?: unknown): AnyZod | undefined {
  let s: AnyZod | undefined = root;
  for (let i = 0; i < path.length && s; i++) {
    const seg = path[i]!;
    s = resolveUnion(unwrap(s), String(seg));
    const d = defOf(s);
    if (d.type === 'object') s = d.shape?.[String(seg)];
    else if (d.type === 'array') s = d.element;
    else if (d.type === 'record') s = d.valueType;
    else return undefined;
  }
  return s && resolveUnion(unwrap(s), undefined, valueAt(data, path));
}

function resolveUnion(s: AnyZod, nextKey: string | undefined, value?: unknown): AnyZod {
  const d = defOf(s);
  if (d.type !== 'union' || !d.options) return s;
  if (nextKey !== undefined) {
    const hit = d.options.find((o) => shapeOf(o)?.[nextKey] !== undefined);
    if (hit) return unwrap(hit);
  }
  if (value !== undefined) {
    const hit = d.options.find((o) => o.safeParse(value).success);
    if (hit) return unwrap(hit);
    // An invalid map: the object option sharing the most keys with it (a check with a typo → its kind).
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const keys = Object.keys(value);
      let best: AnyZod | undefined;
      let bestN = -1;
      for (const o of d.options) {
        const shape = shapeOf(o);
        if (!shape) continue;
        const n = keys.filter((k) => k in shape).length;
        if (n > bestN) [best, bestN] = [o, n];
      }
      if (best) return unwrap(best);
    }
  }
  return s;
}

/**
 * Visit every value of valid `data` with the schema that describes it (unions resolved by which
 * option accepts the value). `fn` returns false to stop descending.
 */
export function walkSchema(
  schema: AnyZod,
  data: unknown,
  fn: (schema: AnyZod, value: unknown, path: Path) => boolean | void,
  path: Path = [],
): void {
  if (data === undefined) return;
  if (fn(schema, data, path) === false) return;
  const s = resolveUnion(unwrap(schema), undefined, data);
  const d = defOf(s);
  if (d.type === 'object' && d.shape && data && typeof data === 'object') {
    for (const [k, sub] of Object.entries(d.shape)) walkSchema(sub, (data as Record<string, unknown>)[k], fn, [...path, k]);
  } else if (d.type === 'array' && d.element && Array.isArray(data)) {
    data.forEach((item, i) => walkSchema(d.element!, item, fn, [...path, i]));
  } else if (d.type === 'record' && d.valueType && data && typeof data === 'object') {
    for (const [k, v] of Object.entries(data)) walkSchema(d.valueType, v, fn, [...path, k]);
  }
}

// ---- suggestions ----

/** Optimal-string-alignment distance (a transposition counts as one edit). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate to a misspelt word, if it is close enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dist = distance(w, c.toLowerCase());
    if (dist < bestD) [best, bestD] = [c, dist];
  }
  const limit = w.length <= 3 ? 1 : w.length <= 6 ? 2 : 3;
  return bestD <= limit ? best : undefined;
}

/** ` (did you mean 'x'?)` or ` (expected one of a, b, c)` or nothing. */
export function suggestion(word: string, candidates: readonly string[], listUpTo = 12): string {
  const hit = closest(word, candidates);
  if (hit) return ` (did you mean '${hit}'?)`;
  if (candidates.length > 0 && candidates.length <= listUpTo) return ` (expected one of ${candidates.join(', ')})`;
  return '';
}
