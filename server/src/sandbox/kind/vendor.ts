// Upstream manifests the kubernetes labs apply (Calico, ingress-nginx for kind, Envoy Gateway with
// the Gateway API CRDs), pinned in infra/kind/manifests.lock.json and put in infra/kind/manifests/
// by infra/kind/vendor-manifests.mjs. A lab names them by their path on the nodes,
// /lab/vendor/<dir>/<file>; the provider copies the folders a lab names to every node, so a lab
// applies a local file and a cluster needs a registry only for images.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../images/catalog.js';

export const VENDOR_DIR = join(REPO_ROOT, 'infra', 'kind', 'manifests');
export const VENDOR_LOCK = join(REPO_ROOT, 'infra', 'kind', 'manifests.lock.json');
export const NODE_VENDOR_DIR = '/lab/vendor';

const VENDOR_REF = /\/lab\/vendor\/([A-Za-z0-9._-]+)\/([A-Za-z0-9._/-]+)/g;

export interface VendorRef {
  dir: string;
  file: string;
}

/** Every /lab/vendor/<dir>/<file> a text (a lab's scripts and prose) names. */
export function vendorRefs(text: string): VendorRef[] {
  const seen = new Map<string, VendorRef>();
  for (const m of text.matchAll(VENDOR_REF)) seen.set(`${m[1]}/${m[2]}`, { dir: m[1]!, file: m[2]! });
  return [...seen.values()];
}

export interface LockEntry {
  dir: string;
  licence: string;
  labs: string[];
  files: Record<string, { url: string; sha256?: string }>;
}

export function readLock(file: string = VENDOR_LOCK): LockEntry[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { manifests: LockEntry[] }).manifests;
}

/** The vendored files a lab names that are not in `dir` on this machine, as one-line reasons. */
export function missingVendored(labJson: string, dir: string = VENDOR_DIR): string[] {
  return vendorRefs(labJson)
    .filter((r) => !existsSync(join(dir, r.dir, r.file)))
    .map((r) => `${join(dir, r.dir, r.file)} is missing (vendor the pinned manifests once, where there is internet access: node infra/kind/vendor-manifests.mjs)`);
}
