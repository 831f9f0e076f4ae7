// A live kind cluster as a Sandbox: hosts are its nodes (control-plane, worker, worker2 …),
// each a Docker container `<cluster>-<host>`. Commands and terminals reach them through the
// Docker API exactly as the docker provider reaches its hosts (same exec, same terminals, same
// working directory /root, the lab's files in /lab/files), with kubectl pointed at the cluster
// (/etc/kubernetes/admin.conf), as on the documents' `root@k8s-m`.
import type Docker from 'dockerode';
import { UserError } from '../../util/errors.js';
import { docker } from '../docker/client.js';
import { execIn } from '../docker/exec.js';
import { openTerminal } from '../docker/terminal.js';
import type { ExecOptions, ExecResult, Sandbox, SandboxRef, TerminalSize, TerminalStream } from '../types.js';

export const NODE_KUBECONFIG = '/etc/kubernetes/admin.conf';
/** Where the lab's files/ are on every node (docs/authoring.md#files). */
export const NODE_FILES_DIR = '/lab/files';
const NODE_ENV = { KUBECONFIG: NODE_KUBECONFIG };
/** kubectl against a cluster can hang on a dead API server: bound what has no timeout of its own. */
const DEFAULT_EXEC_TIMEOUT_MS = 300_000;

export interface KindSandboxInit {
  ref: SandboxRef;
  cluster: string;
  hosts: string[];
  /** the per-session kubeconfig on this machine (for `kubectl --kubeconfig` from outside) */
  kubeconfig: string;
}

/** The node container of a host: `control-plane` → `<cluster>-control-plane`. */
export const nodeContainerName = (cluster: string, host: string): string => `${cluster}-${host}`;

export class KindSandbox implements Sandbox {
  readonly ref: SandboxRef;
  readonly hosts: string[];
  readonly cluster: string;
  readonly kubeconfig: string;

  constructor(init: KindSandboxInit) {
    this.ref = init.ref;
    this.hosts = init.hosts;
    this.cluster = init.cluster;
    this.kubeconfig = init.kubeconfig;
  }

  /** The name of a host's node container. */
  container(host: string): string {
    if (!this.hosts.includes(host)) {
      throw new UserError(`no host "${host}" in kind cluster ${this.cluster} (hosts: ${this.hosts.join(', ')})`);
    }
    return nodeContainerName(this.cluster, host);
  }

  private node(host: string): Docker.Container {
    return docker().getContainer(this.container(host));
  }

  exec(host: string, script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return execIn(this.node(host), script, { ...opts, timeoutMs: opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS, env: { ...NODE_ENV, ...opts.env } });
  }

  /** A login shell in /root on the node, with kubectl ready. */
  attach(host: string, size: TerminalSize): Promise<TerminalStream> {
    return openTerminal(this.node(host), size, NODE_ENV);
  }
}
