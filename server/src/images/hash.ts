// Content hash of an image definition: every file of its folder (path, exec bit, bytes) plus the
// id of the image it starts from, so a rebuilt base invalidates everything built on it.
import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';

/** Files of a build context, relative, sorted (stable across machines). */
export async function contextFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(rel: string): Promise<void> {
    const entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile() || e.isSymbolicLink()) out.push(r);
    }
  }
  await walk('');
  return out.sort();
}

export async function contentHash(dir: string, fromImageId: string): Promise<string> {
  const h = createHash('sha256');
  h.update(`from ${fromImageId}\n`);
  for (const rel of await contextFiles(dir)) {
    const full = path.join(dir, rel);
    const st = await stat(full);
    h.update(`file ${rel} ${st.mode & 0o111 ? 'x' : '-'} ${st.size}\n`);
    h.update(await readFile(full));
  }
  return `sha256:${h.digest('hex')}`;
}
