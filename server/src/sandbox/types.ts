// The provider contract (docs/dev/architecture.md, "Contracts"). Core code (runner, checks, sessions) talks only to these types.
import type { Duplex } from 'node:stream';
import type { Lab } from '../labs/schema.js';

export type ProviderName = 'docker' | 'kind';

/** What this host can run; `missing` says why a requirement is unmet, in words for a human. */
export interface Capabilities {
  /** requirement string (as in a lab's `requires`) → true when available */
  has: Record<string, boolean>;
  /** requirement string → the reason it is unavailable ("kind is not installed") */
  missing: Record<string, string>;
  /**
   * set when the probe itself failed (engine down, probe container not started): the result says
   * more about the probe than about the host, so the registry does not keep it
   */
  probeError?: string;
}

export interface SandboxRef {
  provider: ProviderName;
  sessionId: string;
  labId: string;
  createdAt?: string;
}

export interface ExecOptions {
  netns?: string;
  /** milliseconds; the command is killed past it and `timedOut` is set */
  timeoutMs?: number;
  stdin?: string;
  /** start detached and return immediately (daemons) */
  background?: boolean;
  env?: Record<string, string>;
  /** bytes of output kept per stream (default 1 MiB); past it the command is stopped */
  capBytes?: number;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
  /** the stream that passed the output cap (1 MiB); the command was stopped and its output cut */
  overflow?: 'stdout' | 'stderr';
}

export interface TerminalSize {
  cols: number;
  rows: number;
}

/** A live interactive shell with a TTY inside one host. */
export interface TerminalStream {
  /** raw TTY bytes in and out */
  stream: Duplex;
  resize(size: TerminalSize): Promise<void>;
  /** ends the shell process (not only the transport) */
  close(): Promise<void>;
}

export interface CreateOptions {
  sessionId: string;
  labDir: string;
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

export interface Sandbox {
  readonly ref: SandboxRef;
  readonly hosts: string[];
  /** runs `script` with bash on `host` */
  exec(host: string, script: string, opts?: ExecOptions): Promise<ExecResult>;
  attach(host: string, size: TerminalSize): Promise<TerminalStream>;
  /** ends every terminal shell (after a restart: those of the previous server process) */
  endShells?(): Promise<void>;
  /**
   * Out-of-band access for typed checks (the docker provider): the server reads kernel state of a
   * host from outside with its own tools. Absent where checks run in-band (kind).
   */
  readonly probeAccess?: ProbeAccess;
}

export interface ProbeAccess {
  /** the init process of a host's container, in the server's pid namespace, and that container's id */
  initProcess(host: string): Promise<{ pid: number; containerId: string }>;
}

export interface SandboxStoppedEvent {
  sessionId: string;
  /** words for the learner, e.g. "host learner was killed (exit 137)" */
  reason: string;
}

export interface Provider {
  readonly name: ProviderName;
  capabilities(): Promise<Capabilities>;
  create(lab: Lab, opts: CreateOptions): Promise<Sandbox>;
  /** rebuild a handle to a sandbox that already runs (after a server restart) */
  adopt(ref: SandboxRef, lab: Lab): Promise<Sandbox>;
  /** every sandbox this provider owns on the host, found by label / name prefix */
  list(): Promise<SandboxRef[]>;
  /** idempotent; removes everything created for the sandbox */
  destroy(ref: SandboxRef): Promise<void>;
  /** ids of objects still on the host for this session (for leak checks after teardown) */
  leftovers(sessionId: string): Promise<string[]>;
  /** follows this provider's sandboxes that stop on their own (a killed PID 1, out of memory, removed) */
  watchStopped?(onStopped: (e: SandboxStoppedEvent) => void): { stop(): void };
  /** of these sessions (id → host names), the ones using more disk than their quota */
  overQuota?(sessions: Map<string, string[]>): Promise<SandboxStoppedEvent[]>;
  /** of these sessions (id → host names), the ones whose sandbox is not running */
  stopped?(sessions: Map<string, string[]>): Promise<SandboxStoppedEvent[]>;
}
