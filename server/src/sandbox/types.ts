// The provider contract (DESIGN §4). Core code (runner, checks, sessions) talks only to these types.
import type { Duplex } from 'node:stream';
import type { Lab } from '../labs/schema.js';

export type ProviderName = 'docker' | 'kind';

/** What this host can run; `missing` says why a requirement is unmet, in words for a human. */
export interface Capabilities {
  /** requirement string (as in a lab's `requires`) → true when available */
  has: Record<string, boolean>;
  /** requirement string → the reason it is unavailable ("kind is not installed") */
  missing: Record<string, string>;
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
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
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
}
