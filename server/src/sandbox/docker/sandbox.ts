// A running docker sandbox: one container per lab host.
import { readFile } from 'node:fs/promises';
import type Docker from 'dockerode';
import { UserError } from '../../util/errors.js';
import type { ExecOptions, ExecResult, ProbeAccess, Sandbox, SandboxRef, TerminalSize, TerminalStream } from '../types.js';
import { docker } from './client.js';
import { execIn, runArgv } from './exec.js';
import { openTerminal } from './terminal.js';

/** A cached pid is only reused while its cgroup still names the container (pids are recycled). */
async function belongsTo(pid: number, containerId: string): Promise<boolean> {
  return readFile(`/proc/${pid}/cgroup`, 'utf8').then(
    (c) => c.includes(containerId),
    () => false,
  );
}

/** HUP, then KILL, each shell whose pidfile terminal.ts wrote */
const END_SHELLS_SCRIPT = `for f in /run/netdojo-term-*.pid; do [ -f "$f" ] || continue; p=$(cat "$f"); kill -HUP "$p" 2>/dev/null; sleep 0.2; kill -KILL "$p" 2>/dev/null; rm -f "$f"; done; exit 0`;

export class DockerSandbox implements Sandbox {
  readonly hosts: string[];
  /** host → its container's init pid (the probes prove it still belongs to the container before use) */
  private readonly pids = new Map<string, number>();

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

  readonly probeAccess: ProbeAccess = {
    initProcess: async (host) => {
      const containerId = this.containerId(host);
      const known = this.pids.get(host);
      if (known !== undefined && (await belongsTo(known, containerId))) return { pid: known, containerId };
      const info = await docker().getContainer(containerId).inspect();
      if (!info.State.Running || !info.State.Pid) throw new UserError(`host ${host} is not running`);
      this.pids.set(host, info.State.Pid);
      return { pid: info.State.Pid, containerId: info.Id };
    },
  };

  exec(host: string, script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return execIn(this.container(host), script, opts);
  }

  /** ends every terminal shell in the sandbox (recorded by terminal.ts): those of a previous server process have no client */
  async endShells(): Promise<void> {
    await Promise.all(this.hosts.map((h) => runArgv(this.container(h), ['bash', '-c', END_SHELLS_SCRIPT]).catch(() => undefined)));
  }

  attach(host: string, size: TerminalSize): Promise<TerminalStream> {
    return openTerminal(this.container(host), size);
  }
}
