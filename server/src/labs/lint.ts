// Rules beyond the schema: ids, hosts, regexes, addresses, assets, locales, markdown.
// Each problem points at the node it is about.
import { existsSync, lstatSync, readdirSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import { hintLevels } from './hints.js';
import { schemaFileFor, relPosix, SCHEMA_REL_PATH } from './paths.js';
import { CHECK_KINDS, Lab, Regex, Text, type Action, type Check, type Step } from './schema.js';
import { closest, sameSchema, suggestion, walkSchema, type LabSource, type Path, type Problem } from './source.js';
import { subnet } from '../util/cidr.js';
import { runBlockHostRules } from './run-hosts.js';

export interface LintInput {
  lab: Lab;
  src: LabSource;
  /** The document as plain data (before defaults), for naming things in messages. */
  data: unknown;
}

/** All lint rules for a lab that passed the schema. */
export function lintLab(input: LintInput): Problem[] {
  return [
    ...folderRules(input),
    ...uniqueIds(input),
    ...hostRules(input),
    ...regexRules(input),
    ...networkRules(input),
    ...assetRules(input),
    ...textRules(input),
    ...runBlockHostRules(input),
    ...variantRules(input),
  ];
}

// ---- `# yaml-language-server: $schema=…` ----

const MODELINE = /^#\s*yaml-language-server:\s*\$schema=(\S*)\s*$/;

/** The first line must point editors at the JSON Schema (a warning: it only affects editors). */
export function lintSchemaComment(src: LabSource): Problem[] {
  const dir = dirname(src.file);
  const schema = schemaFileFor(src.file);
  const expected = schema ? relPosix(dir, schema) : `<path to ${SCHEMA_REL_PATH}>`;
  const line = `# yaml-language-server: $schema=${expected}`;
  const first = src.sourceLine(1);
  const m = MODELINE.exec(first);
  if (!m) {
    const elsewhere = src.text.split('\n').findIndex((l) => MODELINE.test(l));
    if (elsewhere >= 0) return [src.problemAtLine(elsewhere + 1, 1, `the $schema line must be the first line of the file`, 'warning')];
    return [src.problemAtLine(1, 1, `the file should start with '${line}' (editors then check and complete it)`, 'warning')];
  }
  const ref = m[1]!;
  const col = first.indexOf('$schema=') + '$schema='.length + 1;
  if (/^[a-z]+:\/\//i.test(ref)) {
    return ref.endsWith('lab.schema.json') ? [] : [src.problemAtLine(1, col, `$schema '${ref}' is not the lab schema; expected '${expected}'`, 'warning')];
  }
  if (schema ? resolve(dir, ref) !== schema : !ref.endsWith('lab.schema.json'))
    return [src.problemAtLine(1, col, `$schema points at '${ref}'; expected '${expected}'`, 'warning')];
  return [];
}

// ---- folders and ids ----

function folderRules({ lab, src }: LintInput): Problem[] {
  const out: Problem[] = [];
  const labDir = dirname(src.file);
  const folder = basename(labDir);
  if (lab.id !== folder) out.push(src.problem(['id'], `id '${lab.id}' does not match its folder '${folder}' (labs live in labs/<track>/<id>/lab.yaml)`));
  const trackDir = dirname(labDir);
  if (basename(dirname(trackDir)) === 'labs' && lab.track !== basename(trackDir))
    out.push(src.problem(['track'], `track '${lab.track}' does not match its folder '${basename(trackDir)}'`, 'warning'));
  return out;
}

function duplicates<T>(items: readonly T[], name: (t: T) => string, path: (i: number, all: readonly T[]) => Path, what: (n: string) => string, src: LabSource): Problem[] {
  const first = new Map<string, number>();
  const out: Problem[] = [];
  items.forEach((item, i) => {
    const n = name(item);
    const prev = first.get(n);
    if (prev === undefined) first.set(n, i);
    else out.push(src.problem(path(i, items), `duplicate ${what(n)} (first at line ${src.position(path(prev, items)).line})`));
  });
  return out;
}

function uniqueIds({ lab, src }: LintInput): Problem[] {
  return [
    ...duplicates(lab.steps, (s) => s.id, (i) => ['steps', i, 'id'], (n) => `step id '${n}'`, src),
    ...lab.steps.flatMap((s, si) =>
      duplicates(
        // a step's checks and its faults' checks run side by side: their ids share one space
        [...s.checks.map((c, i) => ({ id: c.id, path: ['steps', si, 'checks', i, 'id'] as Path })),
          ...s.faults.flatMap((f, fi) => f.checks.map((c, i) => ({ id: c.id, path: ['steps', si, 'faults', fi, 'checks', i, 'id'] as Path })))],
        (c) => c.id, (i, all) => all[i]!.path, (n) => `check id '${n}' in step '${s.id}'`, src),
    ),
    ...lab.steps.flatMap((s, si) => duplicates(s.faults, (f) => f.id, (i) => ['steps', si, 'faults', i, 'id'], (n) => `fault id '${n}' in step '${s.id}'`, src)),
    ...duplicates(lab.environment.hosts, (h) => h.name, (i) => ['environment', 'hosts', i, 'name'], (n) => `host '${n}'`, src),
    ...duplicates(lab.environment.networks, (n) => n.name, (i) => ['environment', 'networks', i, 'name'], (n) => `network '${n}'`, src),
  ];
}

// ---- variants (near-misses and alternatives) ----

function variantRules({ lab, src }: LintInput): Problem[] {
  const out: Problem[] = [];
  lab.steps.forEach((s, si) => {
    const variants = [
      ...s.nearMisses.map((v, i) => ({ id: v.id, path: ['steps', si, 'nearMisses', i, 'id'] as Path })),
      ...s.alternatives.map((v, i) => ({ id: v.id, path: ['steps', si, 'alternatives', i, 'id'] as Path })),
      ...s.faults.flatMap((f, fi) => [
        ...f.nearMisses.map((v, i) => ({ id: v.id, path: ['steps', si, 'faults', fi, 'nearMisses', i, 'id'] as Path })),
        ...f.alternatives.map((v, i) => ({ id: v.id, path: ['steps', si, 'faults', fi, 'alternatives', i, 'id'] as Path })),
      ]),
    ];
    const first = new Map<string, Path>();
    for (const v of variants) {
      const prev = first.get(v.id);
      if (prev) out.push(src.problem(v.path, `duplicate variant id '${v.id}' in step '${s.id}' (first at line ${src.position(prev).line}; near-misses and alternatives share ids)`));
      else first.set(v.id, v.path);
    }
    const checkIds = s.checks.map((c) => c.id);
    s.nearMisses.forEach((v, i) => {
      if (v.fails !== undefined && !checkIds.includes(v.fails))
        out.push(src.problem(['steps', si, 'nearMisses', i, 'fails'], `near-miss '${v.id}' fails '${v.fails}', which is not a check of step '${s.id}'${suggestion(v.fails, checkIds)}`));
    });
    // a fault's near-miss is proven with that fault alone injected: it may name the step's checks or the fault's own
    s.faults.forEach((f, fi) => {
      const ids = [...checkIds, ...f.checks.map((c) => c.id)];
      f.nearMisses.forEach((v, i) => {
        if (v.fails !== undefined && !ids.includes(v.fails))
          out.push(src.problem(['steps', si, 'faults', fi, 'nearMisses', i, 'fails'], `near-miss '${v.id}' fails '${v.fails}', which is not a check of step '${s.id}' or of fault '${f.id}'${suggestion(v.fails, ids)}`));
      });
    });
  });
  return out;
}

// ---- strict advice: near-misses where a mistake is plausible ----

/** Fields that only say which object to look at and whether it exists, per check kind. */
const EXISTENCE_FIELDS: Partial<Record<string, readonly string[]>> = {
  link: ['name', 'type'],
  netns: ['name'],
  route: ['dst', 'table'],
  file: ['path'],
  kubectl: ['get', 'namespace', 'selector', 'exists'],
};
const WHERE_FIELDS = ['host', 'netns', 'absent'];

/** Commands of a solve: non-empty, non-comment lines (a line ending in `\` continues). */
export function solveCommands(actions: readonly Action[]): number {
  return actions.reduce((n, a) => n + a.run.replace(/\\\n/g, ' ').split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')).length, 0);
}

/**
 * Why a step needs near-misses, or undefined for a trivial one. A step is trivial when every check
 * passes before its solve (it is for watching), or when its solve is one command and each of its checks (other than passesBeforeSolve ones) only asks whether something
 * exists: a link, netns, route, file or Kubernetes object named by the fields that identify it, with
 * nothing about its state, address or content.
 */
export function nonTrivial(step: Step): string | undefined {
  // an observation step (every check passes before its solve) has nothing a near-miss could fail
  if (step.checks.every((c) => c.passesBeforeSolve)) return undefined;
  const commands = solveCommands(step.solve);
  if (commands > 1) return `its solve has ${commands} commands`;
  for (const check of step.checks) {
    if (check.passesBeforeSolve) continue;
    const kind = CHECK_KINDS.find((k) => k in check)!;
    const allowed = EXISTENCE_FIELDS[kind];
    const body = (check as Record<string, unknown>)[kind] as Record<string, unknown>;
    const extra = Object.keys(body).filter((k) => body[k] !== undefined && !allowed?.includes(k) && !WHERE_FIELDS.includes(k));
    if (!allowed || extra.length) return `its check '${check.id}' (${kind}) judges more than whether something exists`;
  }
  return undefined;
}

/** Advice only `netdojo validate --strict` gives (warnings): non-trivial steps without near-misses. */
export function strictAdvice(lab: Lab, src: LabSource): Problem[] {
  const out: Problem[] = [];
  lab.steps.forEach((step, si) => {
    if (step.nearMisses.length) return;
    const why = nonTrivial(step);
    if (why)
      out.push(src.problem(['steps', si, 'id'], `step '${step.id}' has no near-misses, but ${why}: add one per plausible mistake (docs/authoring.md, Variants)`, 'warning'));
  });
  return [...out, ...hintAdvice(lab, src)];
}

/**
 * Once some step of a lab gives its hint in levels, a step with a solve and fewer than two levels is
 * a gap (like a missing translation: labs that give no levels at all are left alone).
 */
export function hintAdvice(lab: Lab, src: LabSource): Problem[] {
  if (!lab.steps.some((s) => hintLevels(s.hint).length >= 2)) return [];
  return lab.steps.flatMap((step, si) => {
    if (!step.solve.length || hintLevels(step.hint).length >= 2) return [];
    const has = step.hint === undefined ? 'no hint' : 'a one-level hint';
    return [src.problem(['steps', si, step.hint === undefined ? 'id' : 'hint'], `step '${step.id}' has ${has}, while other steps of this lab give levels: nudge before telling (the idea → where to look → the command; docs/authoring.md#hints)`, 'warning')];
  });
}

// ---- hosts ----

/** Every action of the lab with its path: lab setup, and each step's setup and solve. */
function actions(lab: Lab): Array<{ action: Action; path: Path }> {
  const out: Array<{ action: Action; path: Path }> = lab.setup.map((action, i) => ({ action, path: ['setup', i] }));
  lab.steps.forEach((s, si) => {
    s.setup.forEach((action, i) => out.push({ action, path: ['steps', si, 'setup', i] }));
    s.solve.forEach((action, i) => out.push({ action, path: ['steps', si, 'solve', i] }));
    s.nearMisses.forEach((v, vi) => v.solve.forEach((action, i) => out.push({ action, path: ['steps', si, 'nearMisses', vi, 'solve', i] })));
    s.alternatives.forEach((v, vi) => v.solve.forEach((action, i) => out.push({ action, path: ['steps', si, 'alternatives', vi, 'solve', i] })));
    s.faults.forEach((f, fi) => {
      const at: Path = ['steps', si, 'faults', fi];
      f.inject.forEach((action, i) => out.push({ action, path: [...at, 'inject', i] }));
      f.solve.forEach((action, i) => out.push({ action, path: [...at, 'solve', i] }));
      f.nearMisses.forEach((v, vi) => v.solve.forEach((action, i) => out.push({ action, path: [...at, 'nearMisses', vi, 'solve', i] })));
      f.alternatives.forEach((v, vi) => v.solve.forEach((action, i) => out.push({ action, path: [...at, 'alternatives', vi, 'solve', i] })));
    });
  });
  return out;
}

/** Every check with its kind, its kind's body and their paths. */
function checks(lab: Lab): Array<{ check: Check; kind: string; body: Record<string, unknown>; path: Path }> {
  const one = (check: Check, at: Path) => {
    const kind = CHECK_KINDS.find((k) => k in check)!;
    return { check, kind, body: (check as Record<string, unknown>)[kind] as Record<string, unknown>, path: [...at, kind] as Path };
  };
  return lab.steps.flatMap((s, si) => [
    ...s.checks.map((check, ci) => one(check, ['steps', si, 'checks', ci])),
    ...s.faults.flatMap((f, fi) => f.checks.map((check, ci) => one(check, ['steps', si, 'faults', fi, 'checks', ci]))),
  ]);
}

function hostRules({ lab, src }: LintInput): Problem[] {
  const env = lab.environment;
  const out: Problem[] = [];
  if (env.provider === 'docker' && env.cluster) out.push(src.problem(['environment', 'cluster'], `'cluster' is only for provider kind`, 'error', 'key'));
  if (env.provider !== 'docker') return out; // kind labs run in the cluster's nodes, not declared hosts
  const declared = env.hosts.map((h) => h.name);
  const refer = (host: string | undefined, path: Path, what: string): void => {
    if (host === undefined) {
      if (declared.length === 0) out.push(src.problem(path, `${what} has no host and the lab declares none (add environment.hosts)`));
    } else if (!declared.includes(host)) {
      const hint = closest(host, declared);
      const list = declared.length ? `declared: ${declared.join(', ')}` : 'the lab declares no hosts';
      out.push(src.problem([...path, 'host'], `unknown host '${host}' (${hint ? `did you mean '${hint}'? ` : ''}${list})`));
    }
  };
  for (const { action, path } of actions(lab)) refer(action.host, path, 'this action');
  for (const { kind, body, path } of checks(lab)) if (kind !== 'kubectl') refer(body.host as string | undefined, path, `this ${kind} check`);
  env.networks.forEach((n, ni) => {
    for (const host of Object.keys(n.hosts)) {
      if (declared.includes(host)) continue;
      out.push(src.problem(['environment', 'networks', ni, 'hosts', host], `unknown host '${host}' in network '${n.name}'${suggestion(host, declared)}`, 'error', 'key'));
    }
  });
  return out;
}

// ---- regexes ----

function regexRules({ lab, src }: LintInput): Problem[] {
  const out: Problem[] = [];
  walkSchema(Lab, lab, (schema, value, path) => {
    if (typeof value !== 'string' || !sameSchema(schema, Regex)) return;
    try {
      new RegExp(value, 'm'); // the checkers compile with 'm' (checks/util.ts)
    } catch (err) {
      const reason = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
      out.push(src.problem(path, `invalid regex in '${fieldName(path)}': ${reason}`));
    }
  });
  return out;
}

function fieldName(path: Path): string {
  const last = path[path.length - 1];
  return typeof last === 'number' ? `${String(path[path.length - 2])}[${last}]` : String(last);
}

// ---- networks ----

function networkRules({ lab, src }: LintInput): Problem[] {
  const out: Problem[] = [];
  const nets = lab.environment.networks;
  nets.forEach((n, ni) => {
    const at: Path = ['environment', 'networks', ni];
    const net = subnet(n.subnet);
    const canonical = net.canonical;
    // The docker provider gives hosts these addresses itself (Docker never sees lab subnets), so the
    // gateway may be a lab host (a router) and overlapping lab networks are possible, if unusual.
    if (net.hostBitsSet) out.push(src.problem([...at, 'subnet'], `subnet ${n.subnet} has host bits set (did you mean ${canonical}?)`, 'warning'));
    const inside = (ip: string): boolean => net.contains(ip);
    const special = (ip: string): string | undefined => {
      if (net.prefix >= 31) return undefined;
      if (net.isNetworkAddress(ip)) return 'the network address';
      if (net.isBroadcastAddress(ip)) return 'the broadcast address';
      return undefined;
    };
    if (n.gateway !== undefined) {
      if (!inside(n.gateway)) out.push(src.problem([...at, 'gateway'], `gateway ${n.gateway} is outside subnet ${canonical}`));
      else if (special(n.gateway)) out.push(src.problem([...at, 'gateway'], `gateway ${n.gateway} is ${special(n.gateway)} of ${canonical}`));
    }
    const owner = new Map<string, string>();
    for (const [host, ip] of Object.entries(n.hosts)) {
      const p: Path = [...at, 'hosts', host];
      if (!inside(ip)) out.push(src.problem(p, `address ${ip} of host '${host}' is outside subnet ${canonical} of network '${n.name}'`));
      else if (special(ip)) out.push(src.problem(p, `address ${ip} of host '${host}' is ${special(ip)} of ${canonical}`));
      const prev = owner.get(ip);
      if (prev !== undefined) out.push(src.problem(p, `address ${ip} of host '${host}' is already given to host '${prev}' on network '${n.name}'`));
      else owner.set(ip, host);
    }
    for (let oi = 0; oi < ni; oi++) {
      if (net.overlaps(subnet(nets[oi]!.subnet)))
        out.push(src.problem([...at, 'subnet'], `subnet ${canonical} overlaps subnet ${nets[oi]!.subnet} of network '${nets[oi]!.name}'`, 'warning'));
    }
  });
  return out;
}

// ---- assets ----

/** `files/<path>` written in a command: the lab's `files/` folder as copied into the sandbox. */
const FILES_REF = /(?:^|[\s'"=:(/])files\/([^\s'"`;|&()<>$*?{}[\]]*)/g;

function assetRules({ lab, src }: LintInput): Problem[] {
  const out: Problem[] = [];
  const labDir = dirname(src.file);
  const filesDir = join(labDir, 'files');
  const hasFiles = existsSync(filesDir);
  const strings: Array<{ text: string; path: Path }> = [];
  for (const { action, path } of actions(lab)) strings.push({ text: action.run, path: [...path, 'run'] });
  for (const { kind, body, path } of checks(lab)) {
    if (kind === 'shell') strings.push({ text: String(body.run), path: [...path, 'run'] });
    if (kind === 'kubectl' && body.exec) strings.push({ text: (body.exec as { run: string }).run, path: [...path, 'exec', 'run'] });
    if (kind === 'http' && typeof body.cacert === 'string') {
      const cacert = body.cacert;
      if (!isAbsolute(cacert) && escapes(cacert)) out.push(src.problem([...path, 'cacert'], `relative path '${cacert}' leaves the lab folder`));
    }
  }
  for (const { text, path } of strings) {
    for (const m of text.matchAll(FILES_REF)) {
      const rel = m[1]!.replace(/\/+$/, '');
      const shown = `files/${m[1]}`;
      if (rel && escapes(rel)) out.push(src.problem(path, `'${shown}' leaves the lab's files/ folder`));
      else if (!hasFiles) out.push(src.problem(path, `'${shown}' is used but the lab has no files/ folder next to lab.yaml`));
      else if (rel && !existsSync(join(filesDir, rel))) out.push(src.problem(path, `'${shown}' is used but ${relPosix(labDir, join(filesDir, rel))} does not exist`));
    }
  }
  if (hasFiles) out.push(...symlinkEscapes(filesDir, labDir, src));
  return out;
}

function escapes(rel: string): boolean {
  const n = normalize(rel);
  return n === '..' || n.startsWith(`..${sep}`);
}

/** A symlink in files/ must not lead outside the lab folder (its target would be copied into the sandbox). */
function symlinkEscapes(dir: string, labDir: string, src: LabSource): Problem[] {
  const root = realpathSync(labDir);
  const out: Problem[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (lstatSync(p).isSymbolicLink()) {
      let target: string | undefined;
      try {
        target = realpathSync(p);
      } catch {
        out.push(src.problemAtLine(1, 1, `${relPosix(labDir, p)} is a broken symlink`));
        continue;
      }
      if (target !== root && !target.startsWith(root + sep)) out.push(src.problemAtLine(1, 1, `${relPosix(labDir, p)} is a symlink to ${target}, outside the lab folder`));
    } else if (e.isDirectory()) out.push(...symlinkEscapes(p, labDir, src));
  }
  return out;
}

// ---- texts: locales and markdown ----

interface TextAt {
  value: Text;
  path: Path;
}

function textRules({ lab, src }: LintInput): Problem[] {
  const texts: TextAt[] = [];
  walkSchema(Lab, lab, (schema, value, path) => {
    if (!sameSchema(schema, Text)) return;
    texts.push({ value: value as Text, path });
    return false;
  });
  const out: Problem[] = [];
  const hosts = lab.environment.provider === 'docker' ? lab.environment.hosts.map((h) => h.name) : undefined;
  const anyKo = texts.some((t) => typeof t.value === 'object' && t.value.ko !== undefined);
  for (const { value, path } of texts) {
    if (anyKo && (typeof value === 'string' || value.ko === undefined))
      out.push(src.problem(path, `'${fieldName(path)}' has no 'ko' text (other texts in this lab have one)`, 'warning'));
    const variants: Array<{ md: string; path: Path }> =
      typeof value === 'string'
        ? [{ md: value, path }]
        : Object.entries(value).flatMap(([loc, md]) => (typeof md === 'string' ? [{ md, path: [...path, loc] }] : []));
    for (const v of variants) out.push(...fenceRules(v.md, v.path, src, hosts));
    if (typeof value === 'object' && value.ko !== undefined) {
      const en = runBlocks(value.en);
      const ko = runBlocks(value.ko);
      if (en.length !== ko.length)
        out.push(src.problem([...path, 'ko'], `the 'ko' text has ${ko.length} run blocks, the 'en' text ${en.length}`, 'warning'));
      else if (en.join('\0') !== ko.join('\0'))
        out.push(src.problem([...path, 'ko'], `the 'ko' text's run blocks run other commands than the 'en' text's`, 'warning'));
    }
  }
  return out;
}

interface Fence {
  line: number; // 0-based line in the markdown
  info: string;
  body: string;
  closed: boolean;
}

const SHELLS = ['bash', 'sh', 'shell', 'console', 'zsh'];

export function fences(md: string): Fence[] {
  const lines = md.split('\n');
  const out: Fence[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*(`{3,}|~{3,})(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const marker = open[1]!;
    if (marker[0] === '`' && open[2]!.includes('`')) continue; // inline code, not a fence
    const close = new RegExp(`^\\s*${marker[0] === '`' ? '`' : '~'}{${marker.length},}\\s*$`);
    let j = i + 1;
    while (j < lines.length && !close.test(lines[j]!)) j++;
    out.push({ line: i, info: open[2]!.trim(), body: lines.slice(i + 1, j).join('\n'), closed: j < lines.length });
    i = j;
  }
  return out;
}

function runBlocks(md: string): string[] {
  return fences(md)
    .filter((f) => f.info.split(/\s+/).slice(1).includes('run'))
    .map((f) => f.body.trim());
}

/** `hosts`: the declared hosts that `host=` may name (undefined: not checked, as in kind labs). */
function fenceRules(md: string, path: Path, src: LabSource, hosts: string[] | undefined): Problem[] {
  const out: Problem[] = [];
  const lines = md.split('\n');
  for (const f of fences(md)) {
    const { line, col } = markdownLine(md, lines, f.line, path, src);
    const [lang = '', ...attrs] = f.info.split(/\s+/).filter(Boolean);
    if (!f.closed) out.push(src.problemAtLine(line, col, `code block '${lines[f.line]!.trim()}' is never closed`));
    if (lang === 'run' || lang.startsWith('host=')) out.push(src.problemAtLine(line, col, `code block '${lines[f.line]!.trim()}' has no language: write '\`\`\`bash ${f.info}'`, 'warning'));
    // attributes after the language (web/src/markdown.ts): `run`, and `host=<name>` picks the terminal tab
    for (const a of attrs) {
      const host = /^host=(.*)$/.exec(a)?.[1];
      if (host !== undefined) {
        if (hosts && !hosts.includes(host)) out.push(src.problemAtLine(line, col, `unknown host '${host}' in code block attribute${suggestion(host, hosts)}`));
      } else if (a !== 'run') out.push(src.problemAtLine(line, col, `unknown code block attribute '${a}'${suggestion(a, ['run', 'host'])}`, 'warning'));
      else if (!SHELLS.includes(lang)) out.push(src.problemAtLine(line, col, `a 'run' block is typed into the terminal: its language should be bash, not '${lang}'`, 'warning'));
    }
  }
  return out;
}

/** The source line and column of line `i` of a markdown text (exact for block scalars). */
export function markdownLine(md: string, lines: string[], i: number, path: Path, src: LabSource): { line: number; col: number } {
  const start = src.position(path);
  const span = src.lineSpan(path);
  const wanted = lines[i]!.trim();
  const nth = lines.slice(0, i).filter((l) => l.trim() === wanted).length;
  if (span && md.includes('\n')) {
    let seen = 0;
    for (let ln = span.from; ln <= span.to; ln++) {
      const text = src.sourceLine(ln);
      if (text.trim() !== wanted && !(ln === span.from && text.trimEnd().endsWith(wanted))) continue;
      if (seen++ === nth) return { line: ln, col: text.indexOf(wanted) + 1 };
    }
  }
  return start;
}
