// A running docker sandbox: one container per lab host.
import type Docker from 'dockerode';
import { UserError } from '../../util/errors.js';
import type { ExecOptions, ExecResult, Sandbox, SandboxRef, TerminalSize, TerminalStream } from '../types.js';
import { docker } from './client.js';
import { execIn } from './exec.js';
import { openTerminal } from './terminal.js';

export class DockerSandbox implements Sandbox {
  readonly hosts: string[];

  constructor(
    readonly ref: SandboxRef,
    /** host name → container id */
    private readonly containers: Map<string, string>,
  ) {
    this.hosts = [...containers.keys()];
  }

  /** The Docker container id of a host (for tools that need it, e.g. `docker save | docker load`). */
  containerId(host: string): string {
    const id = this.containers.get(host);
    if (!id) throw new UserError(`no host "${host}" in this sandbox (hosts: ${this.hosts.join(', ')})`);
    return id;
  }

  private container(host: string): Docker.Container {
    return docker().getContainer(this.containerId(host));
  }

  exec(host: string, script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return execIn(this.container(host), script, opts);
  }

  attach(host: string, size: TerminalSize): Promise<TerminalStream> {
    return openTerminal(this.container(host), size);
  }
}
