// Loading lab files: YAML → positions → zod validation → lint. Every problem points at
// `file:line:col` of the node it is about (the key itself for unknown fields).
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../util/errors.js';
import { lintLab, lintSchemaComment } from './lint.js';
import { findLabFiles, labFileOf } from './paths.js';
import { CHECK_KINDS, Check, Lab, Text, type LoadedLab } from './schema.js';
import {
  byPosition,
  formatProblem,
  LabSource,
  sameSchema,
  schemaAt,
  shapeOf,
  suggestion,
  valueAt,
  type Path,
  type Problem,
} from './source.js';

export type { Problem, Severity } from './source.js';
export { formatProblem } from './source.js';
export type { LoadedLab } from './schema.js';

/** A lab file with errors; `problems` holds all of them (and the warnings), the message the first. */
export class LabLoadError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: Problem[],
  ) {
    const errors = problems.filter((p) => p.severity === 'error');
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more ${errors.length === 2 ? 'error' : 'errors'})` : '';
    super(`${errors[0] ? formatProblem(errors[0]) : `${file}: invalid lab`}${more}`);
    this.name = 'LabLoadError';
  }
}

export interface ParsedLab {
  /** The validated lab, present when there is no error (warnings allowed). */
  lab?: Lab;
  problems: Problem[];
}

export const hasErrors = (problems: readonly Problem[]): boolean => problems.some((p) => p.severity === 'error');

/** Parse and check the text of a lab file (`file` is used for positions and folder rules). */
export function parseLab(text: string, file: string): ParsedLab {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const src = new LabSource(file, text, doc, lines);
  const problems: Problem[] = [];
  for (const e of doc.errors) problems.push(src.problemAtLine(lines.linePos(e.pos[0]).line, lines.linePos(e.pos[0]).col, yamlMessage(e.message)));
  for (const w of doc.warnings) problems.push(src.problemAtLine(lines.linePos(w.pos[0]).line, lines.linePos(w.pos[0]).col, yamlMessage(w.message), 'warning'));
  if (hasErrors(problems)) return { problems: problems.sort(byPosition) };

  problems.push(...lintSchemaComment(src));
  if (doc.contents === null) {
    problems.push(src.problemAtLine(1, 1, 'the lab file is empty'));
    return { problems: problems.sort(byPosition) };
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  const parsed = Lab.safeParse(data);
  if (!parsed.success) {
    problems.push(...new IssueMapper(src, data).map(parsed.error.issues, []));
    return { problems: dedupe(problems).sort(byPosition) };
  }
  problems.push(...lintLab({ lab: parsed.data, src, data }));
  const sorted = dedupe(problems).sort(byPosition);
  return hasErrors(sorted) ? { problems: sorted } : { lab: parsed.data, problems: sorted };
}

function yamlMessage(message: string): string {
  return `YAML: ${message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.line}:${p.col}:${p.severity}:${p.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** Load one lab (a `lab.yaml` or its folder); throws `LabLoadError` when it has errors. */
export async function loadLabFile(file: string): Promise<LoadedLab> {
  const path = resolve(labFileOf(file));
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new UserError(`cannot read lab file ${path}: ${err.code ?? err.message}`);
  });
  const { lab, problems } = parseLab(text, path);
  if (!lab) throw new LabLoadError(path, problems);
  return { lab, dir: dirname(path), file: path };
}

/**
 * Load every lab under `paths` (lab folders, lab files, or directories searched recursively).
 * Labs with errors are left out of `labs`; all problems (errors and warnings) are returned.
 */
export async function loadLabs(paths: string[]): Promise<{ labs: LoadedLab[]; problems: Problem[] }> {
  const labs: LoadedLab[] = [];
  const problems: Problem[] = [];
  const files = new Set<string>();
  for (const arg of paths) {
    const found = await findLabFiles([arg]);
    if (found.missing.length) problems.push(fileProblem(resolve(arg), 'no such file or directory'));
    else if (!found.files.length) problems.push(fileProblem(resolve(arg), 'no lab.yaml found here'));
    for (const f of found.files) files.add(f);
  }
  const firstById = new Map<string, LoadedLab>();
  for (const file of [...files].sort()) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      problems.push(fileProblem(file, `cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`));
      continue;
    }
    const result = parseLab(text, file);
    problems.push(...result.problems);
    if (!result.lab) continue;
    const loaded: LoadedLab = { lab: result.lab, dir: dirname(file), file };
    const first = firstById.get(loaded.lab.id);
    if (first) {
      const lines = new LineCounter();
      const src = new LabSource(file, text, parseDocument(text, { lineCounter: lines }), lines);
      problems.push(src.problem(['id'], `duplicate lab id '${loaded.lab.id}' (also ${first.file})`));
      continue;
    }
    firstById.set(loaded.lab.id, loaded);
    labs.push(loaded);
  }
  return { labs, problems: problems.sort(byPosition) };
}

function fileProblem(file: string, message: string): Problem {
  return { file, line: 1, col: 1, severity: 'error', message };
}

// ---- zod issues → problems at YAML positions ----

interface Finding extends Problem {
  /** A required field reported missing in object `obj` (dropped if a typo of it was reported). */
  missing?: string;
  /** An unknown key in object `obj` that looks like a typo of this field. */
  typoOf?: string;
  obj?: string;
}

type Issue = z.core.$ZodIssue;
const KINDS: readonly string[] = CHECK_KINDS;
const CHECK_KIND_LIST = CHECK_KINDS.join(', ');

class IssueMapper {
  constructor(
    private readonly src: LabSource,
    private readonly data: unknown,
  ) {}

  map(issues: readonly Issue[], base: Path): Problem[] {
    const found = issues.flatMap((i) => this.issue(i, base));
    const typos = new Set(found.filter((f) => f.typoOf).map((f) => `${f.obj}\0${f.typoOf}`));
    return found
      .filter((f) => !(f.missing && typos.has(`${f.obj}\0${f.missing}`)))
      .map(({ file, line, col, severity, message }) => ({ file, line, col, severity, message }));
  }

  private at(path: Path, message: string, at: 'value' | 'key' = 'value', extra: Partial<Finding> = {}): Finding {
    return { ...this.src.problem(path, message, 'error', at), ...extra };
  }

  private issue(issue: Issue, base: Path): Finding[] {
    const path: Path = [...base, ...(issue.path as Array<string | number>)];
    const value = valueAt(this.data, path);
    const field = fieldName(path);
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = Object.keys(shapeOf(schemaAt(Lab, path, this.data)) ?? {});
        const where = describe(path, this.data);
        const obj = path.join('.');
        return issue.keys.map((k) => {
          const hint = suggestion(k, known);
          return this.at([...path, k], `unknown field '${k}' in ${where}${hint}`, 'key', { obj, typoOf: closestOf(hint) });
        });
      }
      case 'invalid_union': {
        const schema = schemaAt(Lab, path);
        if (schema && sameSchema(schema, Check)) return this.check(path);
        if (schema && sameSchema(schema, Text) && (value === null || typeof value !== 'object' || Array.isArray(value)))
          return [this.at(path, `'${field}' must be a string or a map of locales {en, ko}, got ${show(value)}`)];
        const branches = issue.errors.filter((b) => !b.some((i) => i.code === 'invalid_type' && i.path.length === 0));
        const best = (branches.length ? branches : issue.errors).slice().sort((a, b) => a.length - b.length)[0];
        if (branches.length && best) return best.flatMap((i) => this.issue(i, path));
        const expected = issue.errors.flatMap((b) => b.filter((i) => i.code === 'invalid_type' && i.path.length === 0).map((i) => typeWord((i as { expected: string }).expected)));
        return [this.at(path, `'${field}' must be ${[...new Set(expected)].join(' or ')}, got ${show(value)}`)];
      }
      case 'invalid_type': {
        if (value === undefined) {
          const parent = path.slice(0, -1);
          return [this.at(parent, `missing required field '${field}' in ${describe(parent, this.data)}`, 'value', { obj: parent.join('.'), missing: field })];
        }
        if (path.length === 0) return [this.at(path, `a lab file must be a map of fields (apiVersion, kind, id, …), got ${show(value)}`)];
        if (value === null) return [this.at(path, `'${field}' has no value (expected ${typeWord(issue.expected)})`, 'key')];
        return [this.at(path, `'${field}' must be ${typeWord(issue.expected)}, got ${show(value)}`)];
      }
      case 'invalid_value': {
        const values = issue.values.map(String);
        if (values.length === 1) return [this.at(path, `'${field}' must be '${values[0]}', got ${show(value)}`)];
        const hint = typeof value === 'string' ? (closestOf(suggestion(value, values)) ?? '') : '';
        return [this.at(path, `'${field}' must be one of ${values.join(', ')}, got ${show(value)}${hint ? ` (did you mean '${hint}'?)` : ''}`)];
      }
      case 'invalid_format': {
        const what = FORMATS[issue.format] ?? issue.message;
        return [this.at(path, `invalid ${field} ${show(value)}: ${what}`)];
      }
      case 'too_small':
      case 'too_big': {
        const bound = Number(issue.code === 'too_small' ? issue.minimum : issue.maximum);
        const inclusive = issue.inclusive !== false;
        if (issue.origin === 'array')
          return [this.at(path, issue.code === 'too_small' ? `'${field}' needs at least ${bound} ${bound === 1 ? 'entry' : 'entries'}` : `'${field}' has more than ${bound} entries`, 'key')];
        if (issue.origin === 'string' && issue.code === 'too_small' && bound === 1) return [this.at(path, `'${field}' must not be empty`)];
        if (issue.origin === 'string') return [this.at(path, `'${field}' must be ${issue.code === 'too_small' ? 'at least' : 'at most'} ${bound} characters`)];
        const op = issue.code === 'too_small' ? (inclusive ? '≥' : '>') : inclusive ? '≤' : '<';
        return [this.at(path, `'${field}' must be ${op} ${bound}, got ${show(value)}`)];
      }
      case 'invalid_key': {
        const reason = issue.issues.map((i) => FORMATS[(i as { format?: string }).format ?? ''] ?? i.message).join('; ');
        return [this.at(path, `invalid name '${String(path[path.length - 1])}' in ${describe(path.slice(0, -1), this.data)}: ${reason}`, 'key')];
      }
      default:
        return [this.at(path, `'${field}': ${issue.message}`)];
    }
  }

  /** A check is one of several shapes, told apart by its kind key: find the kind, then check that shape. */
  private check(path: Path): Finding[] {
    const raw = valueAt(this.data, path);
    const index = Number(path[path.length - 1]);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
      return [this.at(path, `check #${index + 1} must be a map with an id and one kind (${CHECK_KIND_LIST}), got ${show(raw)}`)];
    const obj = raw as Record<string, unknown>;
    const name = typeof obj.id === 'string' ? `'${obj.id}'` : `#${index + 1}`;
    const keys = Object.keys(obj);
    const kinds = keys.filter((k) => KINDS.includes(k));
    const options = Check.options as unknown as Array<z.ZodObject>;
    if (kinds.length === 1) {
      const variant = options.find((o) => kinds[0]! in o.shape)!;
      const r = variant.safeParse(raw);
      return r.success ? [] : r.error.issues.flatMap((i) => this.issue(i, path));
    }
    if (kinds.length > 1)
      return [this.at([...path, kinds[1]!], `check ${name} has more than one kind (${kinds.join(', ')}): a check has exactly one`, 'key')];
    const common = options[0]!.omit({ [CHECK_KINDS[0]]: true });
    const commonKeys = Object.keys(common.shape);
    const unknown = keys.filter((k) => !commonKeys.includes(k));
    const out: Finding[] = unknown.map((k) =>
      this.at([...path, k], `unknown check kind or field '${k}'${suggestion(k, [...KINDS, ...commonKeys], 0)}`, 'key'),
    );
    if (!unknown.length) out.push(this.at(path, `check ${name} has no kind: expected one of ${CHECK_KIND_LIST}`));
    const known = Object.fromEntries(Object.entries(obj).filter(([k]) => commonKeys.includes(k)));
    const r = common.safeParse(known);
    if (!r.success) out.push(...r.error.issues.flatMap((i) => this.issue(i, path)));
    return out;
  }
}

const FORMATS: Record<string, string> = {
  ipv4: 'expected an IPv4 address such as 10.0.0.2',
  cidrv4: 'expected an IPv4 prefix such as 10.0.0.0/24',
  url: 'expected a URL such as http://10.0.0.2:8080/',
};

function closestOf(hint: string): string | undefined {
  return /did you mean '([^']+)'/.exec(hint)?.[1];
}

function typeWord(expected: string): string {
  const words: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    int: 'an integer',
    boolean: 'true or false',
    array: 'a list',
    object: 'a map',
    record: 'a map',
  };
  return words[expected] ?? expected;
}

/** How a YAML value is quoted in a message. */
function show(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `'${v.length > 60 ? `${v.slice(0, 57)}…` : v}'`;
  return String(v);
}

/** The name of the field at `path`, as written in the file: `level`, `expectAll[1]`. */
function fieldName(path: Path): string {
  const last = path[path.length - 1];
  if (typeof last === 'number') return `${String(path[path.length - 2] ?? '')}[${last}]`;
  return last ?? 'lab';
}

/** What the object at `path` is, for messages: `step 'connect'`, `ping check 'reach'`, `environment`. */
export function describe(path: Path, data: unknown): string {
  if (path.length === 0) return 'the lab';
  const last = path[path.length - 1]!;
  const parent = path.slice(0, -1);
  const prev = parent[parent.length - 1];
  const named = (p: Path, key: string, fallback: string): string => {
    const v = valueAt(data, [...p, key]);
    return typeof v === 'string' ? `'${v}'` : fallback;
  };
  if (typeof last === 'number') {
    const nth = `#${last + 1}`;
    if (prev === 'steps') return `step ${named(path, 'id', nth)}`;
    if (prev === 'checks') return `check ${named(path, 'id', nth)}`;
    if (prev === 'hosts') return `host ${named(path, 'name', nth)}`;
    if (prev === 'networks') return `network ${named(path, 'name', nth)}`;
    if (prev === 'nodes') return `cluster node ${nth}`;
    return `${String(prev)}[${last}]${ofWhat(parent.slice(0, -1), data)}`;
  }
  if (KINDS.includes(last) && parent[parent.length - 2] === 'checks') return `${last} check ${named(parent, 'id', `#${Number(prev) + 1}`)}`;
  return `${last}${ofWhat(parent, data)}`;
}

function ofWhat(parent: Path, data: unknown): string {
  return parent.length === 0 ? '' : ` of ${describe(parent, data)}`;
}
