// The sandbox images netdojo builds, in build order (an image's `from` is built before it).
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BASE_IMAGE = 'debian:bookworm-slim';
export const IMPORT_BASE_SCRIPT = path.join(REPO_ROOT, 'infra/images/import-base.sh');
export const HASH_LABEL = 'netdojo.content-hash';

export interface ImageSpec {
  /** short name used on the command line */
  name: string;
  /** the tag sandboxes refer to */
  tag: string;
  /** folder holding the Dockerfile (the build context) */
  dir: string;
  /** the image its Dockerfile starts FROM (part of the content hash) */
  from: string;
}

export const IMAGES: readonly ImageSpec[] = [
  { name: 'netbox', tag: 'netdojo/netbox', dir: path.join(REPO_ROOT, 'infra/images/netbox'), from: BASE_IMAGE },
  // netbox + the images Docker labs run inside a dind sandbox (nginx, busybox, pause), baked as a docker-save archive
  { name: 'inner', tag: 'netdojo/inner', dir: path.join(REPO_ROOT, 'infra/images/inner'), from: 'netdojo/netbox' },
  { name: 'dind', tag: 'netdojo/dind', dir: path.join(REPO_ROOT, 'infra/images/dind'), from: 'netdojo/inner' },
];

export const DEFAULT_IMAGE = 'netdojo/netbox';
export const DIND_IMAGE = 'netdojo/dind';
