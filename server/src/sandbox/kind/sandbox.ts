// A live kind cluster as a Sandbox: hosts are its nodes (control-plane, worker, worker2 …),
// each a Docker container `<cluster>-<host>`; commands run there with kubectl pointed at the
// cluster (/etc/kubernetes/admin.conf), as on the documents' `root@k8s-m`.
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import type { ExecOptions, ExecResult, Sandbox, SandboxRef, TerminalSize, TerminalStream } from '../types.js';
import type { CliRunner } from './cli.js';
import { UserError } from '../../util/errors.js';

export const NODE_KUBECONFIG = '/etc/kubernetes/admin.conf';
const DEFAULT_EXEC_TIMEOUT_MS = 60_000;

export interface KindSandboxInit {
  ref: SandboxRef;
  cluster: string;
  hosts: string[];
  kubeconfig: string;
  cli: CliRunner;
  dockerBin: string;
}

/** Spawns a process on a pseudo-terminal (node-pty); injectable for tests. */
export type PtySpawner = (file: string, args: string[], size: TerminalSize) => Promise<PtyLike>;
export interface PtyLike {
  onData(cb: (data: string) => void): void;
  onExit(cb: () => void): void;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  kill(): void;
}

export const nodePtySpawner: PtySpawner = async (file, args, size) => {
  const pty = await import('node-pty');
  const p = pty.spawn(file, args, { name: 'xterm-256color', cols: size.cols, rows: size.rows, env: process.env as Record<string, string> });
  return {
    onData: (cb) => void p.onData(cb),
    onExit: (cb) => void p.onExit(() => cb()),
    write: (d) => p.write(d),
    resize: (c, r) => p.resize(c, r),
    kill: () => p.kill(),
  };
};

export class KindSandbox implements Sandbox {
  readonly ref: SandboxRef;
  readonly hosts: string[];
  readonly cluster: string;
  readonly kubeconfig: string;
  private readonly cli: CliRunner;
  private readonly dockerBin: string;
  ptySpawner: PtySpawner = nodePtySpawner;

  constructor(init: KindSandboxInit) {
    this.ref = init.ref;
    this.hosts = init.hosts;
    this.cluster = init.cluster;
    this.kubeconfig = init.kubeconfig;
    this.cli = init.cli;
    this.dockerBin = init.dockerBin;
  }

  /** The node container of a host; `control-plane` → `<cluster>-control-plane`. */
  container(host: string): string {
    if (!this.hosts.includes(host)) {
      throw new UserError(`no host "${host}" in kind cluster ${this.cluster} (hosts: ${this.hosts.join(', ')})`);
    }
    return `${this.cluster}-${host}`;
  }

  async exec(host: string, script: string, opts: ExecOptions = {}): Promise<ExecResult> {
    const container = this.container(host);
    const args = ['exec', opts.background ? '-d' : '-i', '-e', `KUBECONFIG=${NODE_KUBECONFIG}`];
    for (const [k, v] of Object.entries(opts.env ?? {})) args.push('-e', `${k}=${v}`);
    args.push(container);
    if (opts.netns) args.push('ip', 'netns', 'exec', opts.netns);
    args.push('bash', '-c', script);
    const res = await this.cli.run(this.dockerBin, args, {
      timeoutMs: opts.timeoutMs ?? DEFAULT_EXEC_TIMEOUT_MS,
      input: opts.background ? undefined : (opts.stdin ?? ''),
    });
    return { exitCode: res.exitCode, stdout: res.stdout, stderr: res.stderr, timedOut: res.timedOut, durationMs: res.durationMs };
  }

  /** `docker exec -it <cluster>-<host> bash -l` on a pty, with kubectl ready, in /root. */
  async attach(host: string, size: TerminalSize): Promise<TerminalStream> {
    const container = this.container(host);
    const id = randomBytes(6).toString('hex');
    const pidFile = `/run/netdojo-term-${id}.pid`;
    const pty = await this.ptySpawner(
      this.dockerBin,
      ['exec', '-it', '-e', `KUBECONFIG=${NODE_KUBECONFIG}`, '-e', 'TERM=xterm-256color', '-w', '/root', container,
        'bash', '-c', `echo $$ > ${pidFile}; exec bash -l`],
      size,
    );
    const stream = new Duplex({
      read() {},
      write(chunk: Buffer | string, _enc, cb) {
        pty.write(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
        cb();
      },
    });
    pty.onData((d) => stream.push(Buffer.from(d, 'utf8')));
    pty.onExit(() => stream.push(null));
    let closed = false;
    return {
      stream,
      resize: async ({ cols, rows }) => pty.resize(cols, rows),
      close: async () => {
        if (closed) return;
        closed = true;
        // Closing the docker client does not end the shell inside: end it by its pid.
        await this.cli.run(this.dockerBin, ['exec', container, 'sh', '-c', `kill -HUP "$(cat ${pidFile})" 2>/dev/null; rm -f ${pidFile}`], { timeoutMs: 10_000 });
        pty.kill();
        stream.destroy();
      },
    };
  }
}
