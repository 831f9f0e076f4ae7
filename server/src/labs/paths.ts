// Where labs and the published schema live, and how lab files are found on disk.
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The file name of a lab inside its folder: `labs/<track>/<id>/lab.yaml`. */
export const LAB_FILE = 'lab.yaml';
/** The JSON Schema of the lab format, relative to the repository root. */
export const SCHEMA_REL_PATH = 'schema/lab.schema.json';
/** The netdojo repository root (this file is server/src/labs/paths.ts). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');
export const SCHEMA_FILE = join(REPO_ROOT, SCHEMA_REL_PATH);
/** The default place `validate`/`ls` look at. */
export const DEFAULT_LABS_DIR = 'labs';

const SKIP_DIRS = new Set(['node_modules', 'files']);

export interface FoundLabFiles {
  /** Absolute paths of lab files, sorted, without duplicates. */
  files: string[];
  /** Arguments that do not exist on disk. */
  missing: string[];
}

/**
 * Resolve arguments to lab files: a lab file itself, a lab folder (holding `lab.yaml`), or any
 * directory searched recursively for `lab.yaml` (not descending into a lab's `files/`, dot folders
 * or node_modules).
 */
export async function findLabFiles(paths: string[], cwd = process.cwd()): Promise<FoundLabFiles> {
  const files = new Set<string>();
  const missing: string[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    const st = await stat(abs).catch(() => undefined);
    if (!st) missing.push(p);
    else if (st.isFile()) files.add(abs);
    else if (st.isDirectory()) for (const f of await searchDir(abs)) files.add(f);
  }
  return { files: [...files].sort(), missing };
}

async function searchDir(dir: string): Promise<string[]> {
  const own = join(dir, LAB_FILE);
  if (existsSync(own)) return [own];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory() || e.name.startsWith('.') || SKIP_DIRS.has(e.name)) continue;
    found.push(...(await searchDir(join(dir, e.name))));
  }
  return found;
}

/** A lab argument that may be a folder: the lab file it names. */
export function labFileOf(pathOrDir: string): string {
  return basename(pathOrDir) === LAB_FILE || /\.ya?ml$/.test(pathOrDir) ? pathOrDir : join(pathOrDir, LAB_FILE);
}

/**
 * The schema a lab file should point its `# yaml-language-server: $schema=` line at: the nearest
 * `schema/lab.schema.json` above the lab (a lab repository may vendor its own copy), else none.
 */
export function schemaFileFor(labFile: string): string | undefined {
  let dir = dirname(resolve(labFile));
  for (;;) {
    const candidate = join(dir, SCHEMA_REL_PATH);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** A path relative to `from`, with forward slashes (as written in YAML). */
export function relPosix(from: string, to: string): string {
  return relative(from, to).split(sep).join('/');
}

/** How to show a path to the user: relative to the working directory when it is below it. */
export function displayPath(file: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && !rel.startsWith(sep) ? rel : file;
}
