// Terminal bridge: keeps each sandbox shell alive independently of the socket that shows it.
// A shell is identified by (session, host, terminal name); a reconnect re-attaches to the same
// shell and resumes from the scrollback ring; a shell without a client is closed after a grace
// period. Output is batched into frames that end between UTF-8 characters and paced by the
// client's acknowledgements (flow.ts); a re-attach makes full-screen programs redraw (redraw()).
import type { ServerControl } from '../protocol/terminal.js';
import type { TerminalSize, TerminalStream } from '../sandbox/types.js';
import { incompleteTail } from './boundary.js';
import { DEFAULT_FLOW, FlowWindow, type FlowLimits } from './flow.js';
import { Scrollback } from './scrollback.js';

/** The transport side of one attached client (a WebSocket in production). */
export interface TerminalClient {
  /** `written` is called once the transport has handed the frame to the kernel */
  sendData(data: Buffer, written?: () => void): void;
  /** bytes the transport holds and has not yet written out (a WebSocket's bufferedAmount) */
  bufferedAmount?(): number;
  sendControl(msg: ServerControl): void;
  close(code: number, reason: string): void;
}

export interface BridgeOptions {
  flow: FlowLimits;
  /** bytes of recent output kept for reconnects; at least flow.highWater so paused output is never lost */
  scrollbackBytes: number;
  /** how long a shell survives without a client */
  graceMs: number;
  /** frames are sent at this size at most (output is coalesced up to it) */
  maxFrameBytes: number;
  /**
   * while output streams, it is held this long (or up to maxFrameBytes) per frame; output after a
   * quiet spell or after input (an echo) goes out on the next tick. 0: every tick's output at once.
   */
  coalesceMs: number;
  maxTerminalsPerSession: number;
  /** at most one resize of the shell's TTY per this many ms (later sizes replace pending ones) */
  resizeIntervalMs: number;
}

export const DEFAULT_BRIDGE: BridgeOptions = {
  flow: DEFAULT_FLOW,
  scrollbackBytes: 2 * 1024 * 1024,
  graceMs: 5 * 60_000,
  // xterm.js parses a write of more than 128 KiB in 128 KiB pieces, cutting characters (boundary.ts, incompleteTail)
  maxFrameBytes: 128 * 1024,
  coalesceMs: 4,
  maxTerminalsPerSession: 8,
  resizeIntervalMs: 250,
};

export class TerminalLimitError extends Error {}

/** A client acknowledged output it was never sent: a protocol error (the socket is closed with 1008). */
export class AckBeyondSentError extends Error {}

export class Terminal {
  readonly ring: Scrollback;
  private client: TerminalClient | undefined;
  private flow: FlowWindow;
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushImmediate: NodeJS.Immediate | undefined;
  private lastFlushAt = -Infinity;
  /** input went to the shell since the last frame: its echo must not wait */
  private inputSinceFlush = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private sourcePaused = false;
  /** absolute offset of the end of what was handed to the current client */
  private sent = 0;
  private pendingSize: TerminalSize | undefined;
  /** the pending size is to be applied by redraw() */
  private pendingRedraw = false;
  private resizing: Promise<void> | undefined;
  private lastResizeAt = -Infinity;
  /** Docker resize calls made (coalescing is observable in tests) */
  resizeCalls = 0;
  exited = false;

  constructor(
    readonly key: string,
    readonly sessionId: string,
    private readonly stream: TerminalStream,
    private readonly opts: BridgeOptions,
    private readonly onGone: (t: Terminal) => void,
  ) {
    this.ring = new Scrollback(Math.max(opts.scrollbackBytes, opts.flow.highWater * 2));
    this.flow = new FlowWindow(opts.flow, 0);
    stream.stream.on('data', (chunk: Buffer) => this.onOutput(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    const gone = () => this.onExit();
    stream.stream.once('end', gone);
    stream.stream.once('close', gone);
    stream.stream.on('error', gone);
    this.startGrace();
  }

  get attached(): boolean {
    return this.client !== undefined;
  }

  get paused(): boolean {
    return this.sourcePaused;
  }

  /** attaches a client (replacing any previous one) and replays output from `resumeFrom` (or the boundary before it: Scrollback.since) */
  attach(client: TerminalClient, resumeFrom: number | null, fresh: boolean): void {
    if (this.client) {
      this.flush();
      this.client.close(4409, 'replaced by a newer connection to this terminal');
    }
    this.stopGrace();
    this.client = client;
    this.batch = [];
    this.batchBytes = 0;
    const { offset, data } = this.ring.since(resumeFrom);
    this.flow = new FlowWindow(this.opts.flow, offset);
    // frames end between characters (incompleteTail); a character the shell has not finished waits for the next frame
    const held = incompleteTail(data);
    const replay = data.subarray(0, data.length - held);
    if (held > 0) {
      this.batch = [data.subarray(replay.length)];
      this.batchBytes = held;
    }
    this.sent = offset + replay.length;
    client.sendControl({ type: 'ready', offset, shell: fresh ? 'new' : 'resumed' });
    for (let i = 0; i < replay.length; ) {
      let end = Math.min(replay.length, i + this.opts.maxFrameBytes);
      const cut = end < replay.length ? incompleteTail(replay, end) : 0;
      if (end - cut > i) end -= cut;
      client.sendData(replay.subarray(i, end), this.written);
      i = end;
    }
    this.updateSource();
  }

  detach(client: TerminalClient): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.batch = [];
    this.batchBytes = 0;
    this.startGrace();
  }

  input(data: Buffer): void {
    if (this.exited) return;
    this.inputSinceFlush = true;
    this.stream.stream.write(data);
  }

  /** records the client's acknowledgement; throws AckBeyondSentError for an offset it was never sent */
  ack(offset: number): void {
    if (offset > this.sent) throw new AckBeyondSentError(`ack offset ${offset} is beyond the ${this.sent} bytes sent`);
    this.flow.ack(offset, this.sent);
    this.updateSource();
  }

  /**
   * Resizes the TTY, coalesced: at most one Docker call per resizeIntervalMs; sizes that arrive
   * meanwhile replace each other and only the latest is applied. Resolves once it (or a later size) is.
   */
  resize(size: TerminalSize): Promise<void> {
    if (this.exited) return Promise.resolve();
    this.pendingSize = size;
    this.resizing ??= this.applySizes().finally(() => (this.resizing = undefined));
    return this.resizing;
  }

  /**
   * Resizes the TTY to `size` by way of a size one row different, so that it changes even when
   * `size` is the current one: the kernel signals SIGWINCH only on a change, and full-screen
   * programs (vim, less, top) redraw on it for a client that re-attached to a blank screen.
   * Coalesced with resize(); the two steps go out back to back.
   */
  redraw(size: TerminalSize): Promise<void> {
    if (this.exited) return Promise.resolve();
    this.pendingRedraw = true;
    return this.resize(size);
  }

  private async applySizes(): Promise<void> {
    while (this.pendingSize && !this.exited) {
      const wait = this.lastResizeAt + this.opts.resizeIntervalMs - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const size = this.pendingSize;
      const redraw = this.pendingRedraw;
      this.pendingSize = undefined;
      this.pendingRedraw = false;
      if (!size || this.exited) break;
      this.lastResizeAt = performance.now();
      try {
        if (redraw) {
          this.resizeCalls++;
          await this.stream.resize({ cols: size.cols, rows: size.rows > 1 ? size.rows - 1 : size.rows + 1 });
        }
      } finally {
        this.resizeCalls++;
        await this.stream.resize(size); // even after a failed first step: never leave the TTY a row short
      }
    }
  }

  /** the transport wrote a frame out: output paused on its buffer may resume */
  private readonly written = (): void => {
    if (this.sourcePaused) this.updateSource();
  };

  /**
   * Ends the shell. `killShell: false` only drops the connection (the sandbox is about to be
   * destroyed anyway, and a sandbox out of pids could not even run the kill).
   */
  async close(opts: { killShell?: boolean; reason?: string } = {}): Promise<void> {
    this.stopGrace();
    if (this.client) {
      this.flush(true);
      this.client.close(1001, opts.reason ?? 'the session ended');
      this.client = undefined;
    }
    this.markGone();
    if (opts.killShell !== false) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((r) => (timer = setTimeout(r, 5_000)));
      await Promise.race([this.stream.close().catch(() => undefined), timeout]);
      clearTimeout(timer);
    }
    this.stream.stream.destroy();
  }

  private onOutput(chunk: Buffer): void {
    this.ring.append(chunk);
    if (this.client) {
      this.batch.push(chunk);
      this.batchBytes += chunk.length;
      if (this.batchBytes >= this.opts.maxFrameBytes) this.flush();
      else if (!this.flushImmediate) {
        // A busy pty hands over output in 4 KiB reads: a frame (and an ack) per read is 10–20×
        // the messages of a few-ms hold. An echo or a first burst after quiet is not held.
        const streaming = !this.inputSinceFlush && performance.now() - this.lastFlushAt < this.opts.coalesceMs;
        if (!streaming) {
          clearTimeout(this.flushTimer);
          this.flushTimer = undefined;
          this.flushImmediate = setImmediate(() => this.flush());
        } else if (!this.flushTimer) this.flushTimer = setTimeout(() => this.flush(), this.opts.coalesceMs);
      }
    }
    if (!this.sourcePaused) this.updateSource();
  }

  /** sends the batch, but for a character it ends in the middle of (incompleteTail), unless this is the last frame */
  private flush(last = false): void {
    clearTimeout(this.flushTimer);
    clearImmediate(this.flushImmediate);
    this.flushTimer = undefined;
    this.flushImmediate = undefined;
    if (!this.client || this.batchBytes === 0) return;
    this.lastFlushAt = performance.now();
    this.inputSinceFlush = false;
    const all = this.batch.length === 1 ? this.batch[0]! : Buffer.concat(this.batch, this.batchBytes);
    const held = last ? 0 : incompleteTail(all);
    this.batch = held > 0 ? [all.subarray(all.length - held)] : [];
    this.batchBytes = held;
    if (held === all.length) return;
    const data = held > 0 ? all.subarray(0, all.length - held) : all;
    this.sent += data.length;
    this.client.sendData(data, this.written);
  }

  /**
   * Paused while too much output is unacknowledged, attached or not (a detached shell fills the
   * ring, then waits), or while the transport still holds too much unwritten (a client that acks
   * but does not read): both bound the server's memory per terminal.
   */
  private updateSource(): void {
    const buffered = this.client?.bufferedAmount?.() ?? 0;
    const limits = this.opts.flow;
    const backlog = buffered > (this.sourcePaused ? limits.lowWater : limits.highWater);
    const pause = this.flow.shouldPause(this.ring.end) || backlog;
    if (pause && !this.sourcePaused) {
      this.sourcePaused = true;
      this.stream.stream.pause();
    } else if (!pause && this.sourcePaused) {
      this.sourcePaused = false;
      this.stream.stream.resume();
    }
  }

  private onExit(): void {
    if (this.exited) return;
    this.flush(true);
    this.markGone();
    if (this.client) {
      this.client.sendControl({ type: 'exit', code: null });
      this.client.close(1000, 'the shell exited');
      this.client = undefined;
    }
  }

  private markGone(): void {
    if (this.exited) return;
    this.exited = true;
    this.stopGrace();
    this.onGone(this);
  }

  private startGrace(): void {
    this.stopGrace();
    this.graceTimer = setTimeout(() => void this.close(), this.opts.graceMs);
    this.graceTimer.unref();
  }

  private stopGrace(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }
}

/** Every live shell of the server, by session. */
export class TerminalHub {
  private terminals = new Map<string, Terminal>();
  private opening = new Map<string, Promise<Terminal>>();

  constructor(readonly opts: BridgeOptions = DEFAULT_BRIDGE) {}

  static key(sessionId: string, host: string, name: string): string {
    return `${sessionId}/${host}/${name}`;
  }

  /** shells of a session, counting those still starting (the limit is reserved before a shell starts) */
  countFor(sessionId: string): number {
    let n = 0;
    for (const t of this.terminals.values()) if (t.sessionId === sessionId) n++;
    for (const key of this.opening.keys()) if (key.startsWith(`${sessionId}/`) && !this.terminals.has(key)) n++;
    return n;
  }

  get size(): number {
    return this.terminals.size;
  }

  /** the existing shell for this key, or a new one from `spawn`; `fresh` tells which */
  async open(sessionId: string, host: string, name: string, spawn: () => Promise<TerminalStream>): Promise<{ terminal: Terminal; fresh: boolean }> {
    const key = TerminalHub.key(sessionId, host, name);
    const existing = this.terminals.get(key);
    if (existing && !existing.exited) return { terminal: existing, fresh: false };
    const pending = this.opening.get(key);
    if (pending) return { terminal: await pending, fresh: false };
    if (this.countFor(sessionId) >= this.opts.maxTerminalsPerSession) {
      throw new TerminalLimitError(`this session already has ${this.opts.maxTerminalsPerSession} terminals open`);
    }
    const p = spawn().then((stream) => {
      const t = new Terminal(key, sessionId, stream, this.opts, (gone) => {
        if (this.terminals.get(gone.key) === gone) this.terminals.delete(gone.key);
      });
      this.terminals.set(key, t);
      return t;
    });
    this.opening.set(key, p);
    try {
      return { terminal: await p, fresh: true };
    } finally {
      this.opening.delete(key);
    }
  }

  async closeSession(sessionId: string, reason?: string): Promise<void> {
    // a shell still starting for this session would otherwise outlive the session's end
    const starting = [...this.opening.entries()].filter(([key]) => key.startsWith(`${sessionId}/`));
    await Promise.all(starting.map(([, p]) => p.catch(() => undefined)));
    const mine = [...this.terminals.values()].filter((t) => t.sessionId === sessionId);
    await Promise.all(mine.map((t) => t.close({ killShell: false, ...(reason ? { reason } : {}) })));
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.terminals.values()].map((t) => t.close({ reason: 'the server is shutting down' })));
  }
}
