// The pinned versions of the kubernetes track, read from infra/kind/versions.env (the file the CI
// workflow and infra/kind/run-track.sh read too).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../images/catalog.js';

export const VERSIONS_FILE = join(REPO_ROOT, 'infra', 'kind', 'versions.env');

/** KEY=value lines of a shell environment file (comments and blank lines skipped). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

export function pinnedVersions(file: string = VERSIONS_FILE): { KIND_VERSION: string; KUBECTL_VERSION: string; KIND_NODE_IMAGE: string } {
  const v = parseEnvFile(readFileSync(file, 'utf8'));
  for (const k of ['KIND_VERSION', 'KUBECTL_VERSION', 'KIND_NODE_IMAGE']) if (!v[k]) throw new Error(`${file}: ${k} is not set`);
  return v as ReturnType<typeof pinnedVersions>;
}
