#!/usr/bin/env node
// Puts the upstream manifests pinned in manifests.lock.json into infra/kind/manifests/<dir>/, with
// their licences, so that the kubernetes labs apply local files (the kind provider copies them to
// /lab/vendor on the nodes) and never download a manifest while a lab runs.
//
//   node infra/kind/vendor-manifests.mjs           download what is missing, verify every sha256 in the lock
//   node infra/kind/vendor-manifests.mjs --check   download nothing: exit 1 if a file is missing or differs
//   node infra/kind/vendor-manifests.mjs --lock    also write the sha256 of every file into the lock
//
// Run it once where there is internet access (a workstation, a CI runner), then commit
// infra/kind/manifests/ and the lock — or copy the folder to an air-gapped machine.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const lockFile = join(here, 'manifests.lock.json');
const outDir = join(here, 'manifests');
const MAX_BYTES = 16 * 1024 * 1024;
const args = new Set(process.argv.slice(2));
const check = args.has('--check');
const writeLock = args.has('--lock');
for (const a of args) if (!['--check', '--lock'].includes(a)) throw new Error(`unknown option ${a} (--check, --lock)`);

const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');
const lock = JSON.parse(readFileSync(lockFile, 'utf8'));
const problems = [];

for (const m of lock.manifests) {
  for (const [name, f] of Object.entries(m.files)) {
    const path = join(outDir, m.dir, name);
    if (!existsSync(path)) {
      if (check) {
        problems.push(`${path} is missing`);
        continue;
      }
      const res = await fetch(f.url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) });
      if (!res.ok) {
        problems.push(`${f.url}: HTTP ${res.status}`);
        continue;
      }
      const body = Buffer.from(await res.arrayBuffer());
      if (body.length > MAX_BYTES) {
        problems.push(`${f.url}: ${body.length} bytes, more than ${MAX_BYTES}`);
        continue;
      }
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, body);
      console.log(`vendored ${m.dir}/${name} (${body.length} bytes) from ${f.url}`);
    }
    const got = sha256(readFileSync(path));
    if (f.sha256 && f.sha256 !== got) problems.push(`${path}: sha256 ${got}, the lock pins ${f.sha256}`);
    else if (!f.sha256) {
      if (writeLock) f.sha256 = got;
      else console.log(`${m.dir}/${name}: sha256 ${got} (not pinned yet: run with --lock)`);
    }
  }
}
if (writeLock && !problems.length) writeFileSync(lockFile, `${JSON.stringify(lock, null, 2)}\n`);
if (problems.length) {
  for (const p of problems) console.error(`vendor-manifests: ${p}`);
  process.exit(1);
}
console.log(`vendor-manifests: ${lock.manifests.length} manifest folders in ${outDir} match the lock`);
