// Builds the sandbox images on the engine the sandboxes use (offline: FROM the imported base).
import { execa } from 'execa';
import { docker, isNotFound } from '../engine/client.js';
import { UserError } from '../util/errors.js';
import { BASE_IMAGE, HASH_LABEL, IMAGES, IMPORT_BASE_SCRIPT, type ImageSpec } from './catalog.js';
import { contentHash, contextFiles } from './hash.js';

export interface BuildOptions {
  /** rebuild even when the content hash matches (and without the layer cache) */
  force?: boolean;
  /** one line per event worth showing (build steps, skips, errors) */
  onProgress?: (line: string) => void;
  /** every raw output line of the builds */
  verbose?: boolean;
}

export interface BuildOutcome {
  name: string;
  tag: string;
  status: 'built' | 'up-to-date';
  imageId: string;
  hash: string;
  sizeBytes: number;
  seconds: number;
}

export interface ImageState {
  name: string;
  tag: string;
  present: boolean;
  upToDate: boolean;
  imageId?: string;
  sizeBytes?: number;
  created?: string;
}

async function imageInfo(ref: string) {
  try {
    return await docker().getImage(ref).inspect();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export function selectImages(names: string[]): ImageSpec[] {
  if (names.length === 0) return [...IMAGES];
  const unknown = names.filter((n) => !IMAGES.some((i) => i.name === n || i.tag === n));
  if (unknown.length) throw new UserError(`unknown image ${unknown.join(', ')} (known: ${IMAGES.map((i) => i.name).join(', ')})`);
  // keep the catalog order so that a parent is built before its children
  return IMAGES.filter((i) => names.includes(i.name) || names.includes(i.tag));
}

/** Imports the Debian base with infra/images/import-base.sh when the engine does not have it. */
export async function ensureBase(onProgress: (line: string) => void = () => {}): Promise<string> {
  let base = await imageInfo(BASE_IMAGE);
  if (!base) {
    onProgress(`${BASE_IMAGE} is missing: importing it with ${IMPORT_BASE_SCRIPT} (debootstrap, takes minutes)`);
    const proc = execa('bash', [IMPORT_BASE_SCRIPT, BASE_IMAGE], { all: true, reject: false });
    proc.all?.on('data', (d: Buffer) => d.toString().split('\n').filter(Boolean).forEach((l) => onProgress(l)));
    const res = await proc;
    if (res.exitCode !== 0) throw new UserError(`importing ${BASE_IMAGE} failed (exit ${res.exitCode}); see the lines above`);
    base = await imageInfo(BASE_IMAGE);
    if (!base) throw new UserError(`${BASE_IMAGE} is still missing after import-base.sh`);
  }
  return base.Id;
}

async function parentId(spec: ImageSpec): Promise<string> {
  const info = await imageInfo(spec.from);
  if (!info) throw new UserError(`${spec.tag} is built FROM ${spec.from}, which is missing: build it first`);
  return info.Id;
}

/** Builds the named images (all when empty) in order, skipping those whose content hash matches. */
export async function buildImages(names: string[] = [], opts: BuildOptions = {}): Promise<BuildOutcome[]> {
  const say = opts.onProgress ?? (() => {});
  const specs = selectImages(names);
  await ensureBase(say);
  const outcomes: BuildOutcome[] = [];
  for (const spec of specs) {
    const started = Date.now();
    const hash = await contentHash(spec.dir, await parentId(spec));
    const current = await imageInfo(spec.tag);
    if (!opts.force && current?.Config?.Labels?.[HASH_LABEL] === hash) {
      say(`${spec.tag}: up to date (${hash.slice(0, 19)})`);
      outcomes.push({ name: spec.name, tag: spec.tag, status: 'up-to-date', imageId: current.Id, hash, sizeBytes: current.Size, seconds: 0 });
      continue;
    }
    say(`${spec.tag}: building from ${spec.dir}`);
    await runBuild(spec, hash, opts, say);
    const built = await imageInfo(spec.tag);
    if (!built || built.Config?.Labels?.[HASH_LABEL] !== hash) throw new UserError(`${spec.tag}: the build finished but the image is not tagged`);
    const seconds = (Date.now() - started) / 1000;
    say(`${spec.tag}: built ${built.Id.slice(7, 19)} (${(built.Size / 1e6).toFixed(0)} MB) in ${seconds.toFixed(1)} s`);
    outcomes.push({ name: spec.name, tag: spec.tag, status: 'built', imageId: built.Id, hash, sizeBytes: built.Size, seconds });
  }
  return outcomes;
}

async function runBuild(spec: ImageSpec, hash: string, opts: BuildOptions, say: (line: string) => void): Promise<void> {
  const stream = await docker().buildImage(
    { context: spec.dir, src: await contextFiles(spec.dir) },
    { t: spec.tag, labels: { [HASH_LABEL]: hash, 'netdojo.image': spec.name }, rm: true, forcerm: true, nocache: !!opts.force, pull: false },
  );
  const tail: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker().modem.followProgress(
      stream,
      (err: Error | null) => (err ? reject(err) : resolve()),
      (event: { stream?: string; error?: string; errorDetail?: { message?: string }; status?: string }) => {
        if (event.error) {
          reject(new UserError(`${spec.tag}: build failed: ${event.errorDetail?.message ?? event.error}\n${tail.join('\n')}`));
          return;
        }
        for (const line of (event.stream ?? event.status ?? '').split('\n')) {
          const l = line.trimEnd();
          if (!l) continue;
          tail.push(l);
          if (tail.length > 15) tail.shift();
          if (opts.verbose || /^Step \d+\/\d+ :/.test(l)) say(`  ${l}`);
        }
      },
    );
  });
}

/** Which images exist and whether they match their definition. */
export async function imageStates(): Promise<ImageState[]> {
  const out: ImageState[] = [];
  for (const spec of IMAGES) {
    const info = await imageInfo(spec.tag);
    const parent = await imageInfo(spec.from);
    const hash = parent ? await contentHash(spec.dir, parent.Id) : undefined;
    out.push({
      name: spec.name,
      tag: spec.tag,
      present: !!info,
      upToDate: !!info && !!hash && info.Config?.Labels?.[HASH_LABEL] === hash,
      imageId: info?.Id,
      sizeBytes: info?.Size,
      created: info?.Created,
    });
  }
  return out;
}
