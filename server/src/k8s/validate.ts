// Static proof for Kubernetes labs, offline: every manifest a lab ships (files/**/*.yaml) or
// applies from a heredoc in a setup/solve script is validated against the Kubernetes schemas;
// kind cluster configs (files or the one generated from `environment.cluster`) against kind's
// v1alpha4 schema; shell in setups, solves and checks of kind labs is linted with shellcheck.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument, type Document, type Node } from 'yaml';
import { KindCluster } from '../labs/schema.js';
import { KindClusterConfig, kindConfigObject, kindNodeNames } from './kind-config.js';
import { readLock, vendorRefs, VENDOR_LOCK } from '../sandbox/kind/vendor.js';
import { showPath, validateObject } from './schemas.js';

/** Same shape as the lab loader's Problem (server/src/labs/source.ts). */
export interface Problem {
  file: string;
  line: number;
  col: number;
  severity: 'error' | 'warning';
  message: string;
}

export interface ValidateOptions {
  /** lint shell with shellcheck when it is installed (default true) */
  shellcheck?: boolean;
  /** the lock of vendored manifests /lab/vendor/<dir>/<file> must be listed in (default infra/kind/manifests.lock.json) */
  vendorLock?: string;
}

type Path = Array<string | number>;

function nodeAt(doc: Document, path: Path, atKey: boolean): Node | null {
  let node = doc.contents as Node | null;
  let last: Node | null = node;
  for (const [i, seg] of path.entries()) {
    if (node && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return last;
      if (i === path.length - 1 && atKey) return pair.key as Node;
      node = (pair.value as Node | null) ?? (pair.key as Node);
    } else if (node && isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined;
      if (!item) return last;
      node = item;
    } else return last;
    last = node;
  }
  return node;
}

/** Validates every YAML document of `text`; `at` maps an offset in `text` to a position in `file`. */
function checkYamlText(text: string, file: string, at: (offset: number) => { line: number; col: number }, where: string): Problem[] {
  const problems: Problem[] = [];
  const docs = parseAllDocuments(text);
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    for (const err of doc.errors) {
      problems.push({ file, ...at(err.pos[0]), severity: 'error', message: `${where}: YAML: ${err.message.split('\n')[0]}` });
    }
    if (doc.errors.length > 0) continue;
    const obj = doc.toJS() as unknown;
    if (obj === null || obj === undefined) continue;
    const { apiVersion, kind } = (obj ?? {}) as { apiVersion?: unknown; kind?: unknown };
    const label = `${where}${typeof kind === 'string' ? ` ${kind}` : ''}`;
    if (apiVersion === 'kind.x-k8s.io/v1alpha4') {
      const res = KindClusterConfig.safeParse(obj);
      if (!res.success) {
        for (const issue of res.error.issues) {
          const path = issue.path as Path;
          const node = nodeAt(doc, path, issue.code === 'unrecognized_keys');
          const keys = issue.code === 'unrecognized_keys' ? ` ${issue.keys.join(', ')}` : '';
          problems.push({ file, ...at(node?.range?.[0] ?? 0), severity: 'error', message: `${label}: kind config ${showPath(path)}: ${issue.message}${keys}` });
        }
      }
      continue;
    }
    for (const issue of validateObject(obj)) {
      const node = nodeAt(doc, issue.path, issue.atKey);
      problems.push({ file, ...at(node?.range?.[0] ?? 0), severity: issue.severity, message: `${label}: ${issue.message}` });
    }
  }
  return problems;
}

function yamlFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(name)) out.push(p);
  }
  return out;
}

function positionsOf(text: string): (offset: number) => { line: number; col: number } {
  const lc = new LineCounter();
  // Feed line starts.
  lc.addNewLine(0);
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') lc.addNewLine(i + 1);
  return (offset) => lc.linePos(offset);
}

export interface Heredoc {
  /** the manifest text */
  body: string;
  /** 0-based line index of the body's first line inside the script */
  firstLine: number;
  /** the command line that feeds it (`kubectl apply -f - <<EOF`) */
  command: string;
}

/** Heredocs fed to `kubectl apply|create|replace` in a script (`kubectl apply -f - <<'EOF'`, `cat <<EOF | kubectl apply -f -`). */
export function kubectlHeredocs(script: string): Heredoc[] {
  const lines = script.split('\n');
  const out: Heredoc[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const m = /<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2/.exec(line);
    if (!m) continue;
    const strip = m[1] === '-';
    const delim = m[3]!;
    let end = i + 1;
    while (end < lines.length && (strip ? lines[end]!.replace(/^\t+/, '') : lines[end]!) !== delim) end++;
    if (/\bkubectl\b.*\b(apply|create|replace)\b/.test(line)) {
      out.push({ body: lines.slice(i + 1, end).join('\n'), firstLine: i + 1, command: line.trim() });
    }
    i = end;
  }
  return out;
}

interface ScriptRef {
  path: Path;
  text: string;
  what: string;
}

/** Every shell script in a lab document, with its data path. */
function scriptsOf(lab: Record<string, unknown>): ScriptRef[] {
  const out: ScriptRef[] = [];
  const actions = (list: unknown, base: Path, what: string): void => {
    if (!Array.isArray(list)) return;
    list.forEach((a, i) => {
      const run = (a as { run?: unknown })?.run;
      if (typeof run === 'string') out.push({ path: [...base, i, 'run'], text: run, what: `${what}[${i}]` });
    });
  };
  actions(lab.setup, ['setup'], 'setup');
  const steps = Array.isArray(lab.steps) ? lab.steps : [];
  steps.forEach((s: Record<string, unknown>, si) => {
    const id = typeof s?.id === 'string' ? s.id : String(si);
    actions(s?.setup, ['steps', si, 'setup'], `step ${id} setup`);
    actions(s?.solve, ['steps', si, 'solve'], `step ${id} solve`);
    const checks = Array.isArray(s?.checks) ? s.checks : [];
    checks.forEach((c: Record<string, unknown>, ci) => {
      const cid = typeof c?.id === 'string' ? c.id : String(ci);
      const shell = c?.shell as { run?: unknown } | undefined;
      if (typeof shell?.run === 'string') out.push({ path: ['steps', si, 'checks', ci, 'shell', 'run'], text: shell.run, what: `check ${cid}` });
      const exec = (c?.kubectl as { exec?: { run?: unknown } } | undefined)?.exec;
      if (typeof exec?.run === 'string') {
        out.push({ path: ['steps', si, 'checks', ci, 'kubectl', 'exec', 'run'], text: exec.run, what: `check ${cid} (in the pod, sh)` });
      }
    });
  });
  return out;
}

/** Offset in the lab file of the first character of line `n` (0-based) of a block scalar's value. */
function scriptLineOffset(source: string, node: Node, text: string, n: number): number {
  const start = node.range?.[0] ?? 0;
  const wanted = text.split('\n')[n] ?? '';
  if (wanted.trim() === '') return start;
  // Search from the scalar's start for the nth line's text (block scalars keep their lines).
  let from = start;
  for (let k = 0; k < n; k++) {
    const lineText = text.split('\n')[k] ?? '';
    const idx = lineText.trim() ? source.indexOf(lineText, from) : -1;
    if (idx >= 0) from = idx + lineText.length;
  }
  const idx = source.indexOf(wanted, from);
  return idx >= 0 ? idx : start;
}

export function shellcheckAvailable(): boolean {
  const res = spawnSync('shellcheck', ['--version'], { encoding: 'utf8' });
  return res.status === 0;
}

interface ShellcheckComment {
  line: number;
  column: number;
  level: 'error' | 'warning' | 'info' | 'style';
  code: number;
  message: string;
}

/** shellcheck findings (warning and error) for one script; `shell` is bash or sh. */
export function shellcheck(script: string, shell: 'bash' | 'sh' = 'bash'): ShellcheckComment[] {
  // SC2154: variables set by the lab environment; SC1091: sourced files not present here.
  const res = spawnSync('shellcheck', ['-s', shell, '-f', 'json', '-S', 'warning', '-e', 'SC1091,SC2154', '-'], {
    input: script,
    encoding: 'utf8',
  });
  if (res.error) throw res.error;
  return (JSON.parse(res.stdout || '[]') as ShellcheckComment[]).filter((c) => c.level === 'error' || c.level === 'warning');
}

/**
 * Static validation of the Kubernetes side of the lab in `labDir` (holding lab.yaml):
 * manifests in files/ and in kubectl heredocs, the kind config, shell (kind labs).
 */
export function validateManifests(labDir: string, opts: ValidateOptions = {}): Problem[] {
  const problems: Problem[] = [];
  const labFile = join(labDir, 'lab.yaml');
  for (const file of yamlFiles(join(labDir, 'files'))) {
    const text = readFileSync(file, 'utf8');
    problems.push(...checkYamlText(text, file, positionsOf(text), 'manifest'));
  }
  if (!existsSync(labFile)) return problems;
  const source = readFileSync(labFile, 'utf8');
  const lc = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lc });
  if (doc.errors.length > 0) return problems; // the lab loader reports YAML errors
  const lab = (doc.toJS() ?? {}) as Record<string, unknown>;
  const env = (lab.environment ?? {}) as { provider?: string; cluster?: unknown; hosts?: Array<{ name?: string }> };
  const isKind = env.provider === 'kind';

  for (const script of scriptsOf(lab)) {
    const node = nodeAt(doc, script.path, false);
    if (!node) continue;
    for (const h of kubectlHeredocs(script.text)) {
      const base = scriptLineOffset(source, node, script.text, h.firstLine);
      const at = (offset: number): { line: number; col: number } => {
        const local = positionsOf(h.body)(offset);
        const first = lc.linePos(base);
        return { line: first.line + local.line - 1, col: first.col + local.col - 1 };
      };
      problems.push(...checkYamlText(h.body, labFile, at, `${script.what} heredoc`));
    }
  }

  if (isKind) {
    const clusterPath: Path = ['environment', 'cluster'];
    const parsed = KindCluster.safeParse(env.cluster ?? {});
    if (parsed.success) {
      try {
        kindConfigObject(parsed.data, { hostPorts: 'as-written' });
        kindConfigObject(parsed.data, { hostPorts: 'free' });
      } catch (err) {
        const pos = lc.linePos(nodeAt(doc, clusterPath, false)?.range?.[0] ?? 0);
        problems.push({ file: labFile, ...pos, severity: 'error', message: `generated kind config is invalid: ${(err as Error).message.split('\n')[0]}` });
      }
      const names = new Set(kindNodeNames(parsed.data));
      (env.hosts ?? []).forEach((h, i) => {
        if (h?.name && !names.has(h.name)) {
          const pos = lc.linePos(nodeAt(doc, ['environment', 'hosts', i, 'name'], false)?.range?.[0] ?? 0);
          problems.push({ file: labFile, ...pos, severity: 'error', message: `host "${h.name}" is not a node of the kind cluster (nodes: ${[...names].join(', ')})` });
        }
      });
    }
    // a vendored manifest a lab applies must be pinned in the lock (the provider copies it from there)
    const pinned = new Set(readLock(opts.vendorLock ?? VENDOR_LOCK).flatMap((m) => Object.keys(m.files).map((f) => `${m.dir}/${f}`)));
    for (const script of scriptsOf(lab)) {
      for (const ref of vendorRefs(script.text)) {
        if (pinned.has(`${ref.dir}/${ref.file}`)) continue;
        const pos = lc.linePos(nodeAt(doc, script.path, false)?.range?.[0] ?? 0);
        problems.push({ file: labFile, ...pos, severity: 'error', message: `${script.what}: /lab/vendor/${ref.dir}/${ref.file} is not pinned in infra/kind/manifests.lock.json` });
      }
    }
    if (opts.shellcheck !== false && shellcheckAvailable()) {
      for (const script of scriptsOf(lab)) {
        const node = nodeAt(doc, script.path, false);
        if (!node) continue;
        const dialect = script.path.includes('exec') ? 'sh' : 'bash';
        for (const c of shellcheck(script.text, dialect)) {
          const off = scriptLineOffset(source, node, script.text, c.line - 1);
          const pos = lc.linePos(off);
          problems.push({ file: labFile, line: pos.line, col: pos.col + c.column - 1, severity: c.level === 'error' ? 'error' : 'warning', message: `${script.what}: shellcheck SC${c.code}: ${c.message}` });
        }
      }
    }
  }
  return problems;
}
