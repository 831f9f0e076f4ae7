// What the provider does to a new cluster's node containers before a lab uses them: kubectl
// configured on every node (admin.conf, which kind writes on control-plane nodes only) and the
// lab's files/ at /lab/files on every node, as the docker provider lays out its hosts.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { tarOf } from '../../util/tar.js';
import { UserError } from '../../util/errors.js';
import { docker } from '../docker/client.js';
import { runArgv } from '../docker/exec.js';
import { NODE_FILES_DIR, NODE_KUBECONFIG } from './sandbox.js';

const exists = (p: string): Promise<boolean> =>
  access(p).then(
    () => true,
    () => false,
  );


/** Copies a folder's contents to `target` in every node container. */
export async function copyToNodes(containers: string[], dir: string, target: string): Promise<void> {
  const archive = await tarOf(dir);
  await Promise.all(
    containers.map(async (name) => {
      const c = docker().getContainer(name);
      const mk = await runArgv(c, ['mkdir', '-p', target]);
      if (mk.exitCode !== 0) throw new UserError(`could not create ${target} on node ${name}: ${mk.stderr.trim() || `exit ${mk.exitCode}`}`);
      await c.putArchive(archive, { path: target });
    }),
  );
}

export interface PrepareNodes {
  /** node containers, the first control-plane first */
  containers: string[];
  /** the lab's folder ('' for none) */
  labDir: string;
}

export async function prepareNodes({ containers, labDir }: PrepareNodes): Promise<void> {
  const [first, ...others] = containers;
  if (!first) throw new UserError('the kind cluster has no nodes');
  const conf = await runArgv(docker().getContainer(first), ['cat', NODE_KUBECONFIG]);
  if (conf.exitCode !== 0) throw new UserError(`node ${first} has no ${NODE_KUBECONFIG}: ${conf.stderr.trim() || `exit ${conf.exitCode}`}`);
  await Promise.all(
    others.map(async (name) => {
      const r = await runArgv(docker().getContainer(name), ['sh', '-c', `cat > ${NODE_KUBECONFIG}`], { stdin: conf.stdout });
      if (r.exitCode !== 0) throw new UserError(`could not write ${NODE_KUBECONFIG} on node ${name}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
    }),
  );
  const files = labDir ? join(labDir, 'files') : '';
  if (files && (await exists(files))) await copyToNodes(containers, files, NODE_FILES_DIR);
}
