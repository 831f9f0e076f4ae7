// One xterm.js terminal bound to one sandbox host over the terminal WebSocket
// (docs/dev/API.md): auth in the first message, byte offsets for resume after a
// network blip, and acknowledgements from xterm's write callback for flow control.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { FATAL_CLOSE_CODES, TerminalClose } from '../../server/src/protocol/close-codes.js';
import type { AuthMessage, ClientControl, ServerControl } from '../../server/src/protocol/terminal.js';

export type TermStatus = 'connecting' | 'connected' | 'reconnecting' | 'exited' | 'closed';

/** Acknowledge at least every this many bytes written to xterm. */
export const ACK_EVERY = 128 * 1024;
/** …and shortly after output goes quiet, so the server never waits on a small remainder. */
const ACK_IDLE_MS = 200;
const TYPEAHEAD_MAX = 4096;
const RETRY_MAX_MS = 10_000;

export interface TerminalOptions {
  sessionId: string;
  token: string;
  host: string;
  onStatus: (status: TermStatus, detail?: string) => void;
  /** The server refused us for good (4401/4404): the session is gone or not ours. */
  onFatal: (code: number, reason: string) => void;
  /** F6 (Shift+F6) pressed inside the terminal: move focus out of it. */
  onEscape?: (backwards: boolean) => void;
  label?: string;
  describedBy?: string;
}

const encoder = new TextEncoder();

export class HostTerminal {
  readonly term: Terminal;
  readonly element: HTMLElement;
  private readonly fitAddon = new FitAddon();
  private ws: WebSocket | null = null;
  private ready = false;
  /** Server offset of the next output byte we expect; null until the first `ready`. */
  private received: number | null = null;
  /** Server offset up to which xterm has parsed the output. */
  private written = 0;
  private acked = 0;
  /** Replayed bytes we already have (server resumed earlier than asked). */
  private skip = 0;
  private attempts = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private ackTimer: ReturnType<typeof setTimeout> | undefined;
  private typeahead: Uint8Array[] = [];
  private typeaheadBytes = 0;
  private disposed = false;
  private status: TermStatus = 'connecting';
  private readonly resizeObserver: ResizeObserver;
  private readonly onOnline = () => this.reconnectNow();

  constructor(
    container: HTMLElement,
    private readonly opts: TerminalOptions,
  ) {
    this.element = container;
    this.term = new Terminal({
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace',
      fontSize: 14,
      lineHeight: 1.15,
      scrollback: 5000,
      allowProposedApi: false,
      theme: { background: '#0f1419', foreground: '#e6e1cf', cursor: '#ffcc66', selectionBackground: '#2d4f67' },
    });
    this.term.loadAddon(this.fitAddon);
    this.term.open(container);
    const textarea = container.querySelector('textarea');
    textarea?.setAttribute('aria-label', opts.label ?? `${opts.host} terminal`);
    if (opts.describedBy) textarea?.setAttribute('aria-describedby', opts.describedBy);
    // Tab belongs to the shell (completion), so F6 is the way out of the terminal.
    this.term.attachCustomKeyEventHandler((ev) => {
      if (ev.key !== 'F6') return true;
      if (ev.type === 'keydown') opts.onEscape?.(ev.shiftKey);
      ev.preventDefault();
      return false;
    });
    this.term.onData((data) => this.send(encoder.encode(data)));
    this.term.onBinary((data) => this.send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
    this.term.onResize(({ cols, rows }) => this.sendJson({ type: 'resize', cols, rows }));
    this.resizeObserver = new ResizeObserver(() => this.fit());
    this.resizeObserver.observe(container);
    window.addEventListener('online', this.onOnline);
    this.fit();
    this.connect();
  }

  /** Resize the terminal to its pane (no-op while the pane is hidden). */
  fit(): void {
    if (this.disposed || this.element.clientWidth === 0 || this.element.clientHeight === 0) return;
    const dims = this.fitAddon.proposeDimensions();
    if (!dims || !Number.isFinite(dims.cols) || !Number.isFinite(dims.rows)) return;
    if (dims.cols !== this.term.cols || dims.rows !== this.term.rows) this.fitAddon.fit();
  }

  focus(): void {
    this.term.focus();
  }

  /** Type text as if the learner had typed it (used by click-to-run blocks). */
  type(text: string): void {
    this.send(encoder.encode(text));
  }

  /** Reconnect at once (after an exit, or when the network comes back). */
  reconnectNow(): void {
    if (this.disposed || this.ready) return;
    clearTimeout(this.retryTimer);
    this.attempts = 0;
    this.ws?.close();
    this.connect();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.retryTimer);
    clearTimeout(this.ackTimer);
    window.removeEventListener('online', this.onOnline);
    this.resizeObserver.disconnect();
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, 'closed by the page');
    this.term.dispose();
  }

  private setStatus(status: TermStatus, detail?: string): void {
    this.status = status;
    this.opts.onStatus(status, detail);
  }

  private connect(): void {
    if (this.disposed) return;
    this.ready = false;
    this.setStatus(this.received === null && this.attempts === 0 ? 'connecting' : 'reconnecting');
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}/api/sessions/${encodeURIComponent(this.opts.sessionId)}/terminals/${encodeURIComponent(this.opts.host)}`;
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    ws.onopen = () => {
      const auth: AuthMessage = { type: 'auth', token: this.opts.token, cols: this.term.cols, rows: this.term.rows, resumeFrom: this.received };
      ws.send(JSON.stringify(auth));
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (ws !== this.ws) return;
      if (typeof ev.data === 'string') this.onControl(ev.data);
      else this.onOutput(new Uint8Array(ev.data as ArrayBuffer));
    };
    ws.onclose = (ev: CloseEvent) => {
      if (ws !== this.ws) return;
      this.ws = null;
      this.ready = false;
      if (this.disposed || this.status === 'exited') return;
      // 4401 not ours, 4404 no such session/host, 4410 session ended: reconnecting cannot help
      if (FATAL_CLOSE_CODES.includes(ev.code)) {
        this.setStatus('closed', ev.reason);
        this.opts.onFatal(ev.code, ev.reason);
        return;
      }
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    this.setStatus('reconnecting');
    const delay = Math.min(RETRY_MAX_MS, 250 * 2 ** this.attempts) * (0.75 + Math.random() * 0.5);
    this.attempts++;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private onControl(raw: string): void {
    let msg: ServerControl;
    try {
      msg = JSON.parse(raw) as ServerControl;
    } catch {
      return;
    }
    if (msg.type === 'ready' && typeof msg.offset === 'number') {
      this.onReady(msg.offset, msg.shell === 'new');
    } else if (msg.type === 'exit') {
      this.setStatus('exited', typeof msg.code === 'number' ? String(msg.code) : '');
      this.ws?.close(TerminalClose.normal);
    } else if (msg.type === 'error') {
      // CAN first: the stream may have stopped inside an escape sequence that would swallow the notice
      this.term.write(`\x18\r\n\x1b[31m[${msg.message || 'terminal error'}]\x1b[0m\r\n`);
    }
  }

  /** reset() neither drops queued writes nor resets the parser: a stream that stopped inside an OSC
   *  or a half character would swallow the replay. CAN + RIS go through the parser in order. */
  private freshScreen(): void {
    this.term.write('\x18\x1bc');
  }

  private onReady(offset: number, newShell: boolean): void {
    const wanted = this.received;
    this.skip = 0;
    if (wanted === null) {
      this.written = offset;
    } else if (newShell) {
      // The server restarted and opened a new shell: its offsets start over, nothing to skip.
      this.freshScreen();
      this.written = offset;
    } else if (offset < wanted) {
      this.skip = wanted - offset;
    } else if (offset > wanted) {
      // Output we never saw fell out of the server's ring: start the screen afresh.
      this.freshScreen();
      this.written = offset;
    }
    this.received = offset;
    // A new connection starts with nothing unacknowledged on the server's side.
    this.acked = offset;
    this.ready = true;
    this.attempts = 0;
    this.setStatus('connected');
    this.fit();
    this.sendJson({ type: 'resize', cols: this.term.cols, rows: this.term.rows });
    this.markWritten(this.written);
    const pending = this.typeahead;
    this.typeahead = [];
    this.typeaheadBytes = 0;
    for (const chunk of pending) this.send(chunk);
  }

  private onOutput(bytes: Uint8Array): void {
    if (this.received === null) return;
    this.received += bytes.length;
    let data = bytes;
    if (this.skip > 0) {
      const n = Math.min(this.skip, data.length);
      this.skip -= n;
      data = data.subarray(n);
      if (data.length === 0) {
        this.markWritten(this.received);
        return;
      }
    }
    const end = this.received;
    this.term.write(data, () => this.markWritten(end));
  }

  private markWritten(end: number): void {
    this.written = Math.max(this.written, end);
    if (this.written - this.acked >= ACK_EVERY) {
      this.sendAck();
    } else if (this.written > this.acked) {
      clearTimeout(this.ackTimer);
      this.ackTimer = setTimeout(() => this.sendAck(), ACK_IDLE_MS);
    }
  }

  private sendAck(): void {
    clearTimeout(this.ackTimer);
    if (this.written <= this.acked || !this.ready) return;
    if (this.sendJson({ type: 'ack', offset: this.written })) this.acked = this.written;
  }

  private send(bytes: Uint8Array): void {
    if (this.ready && this.ws?.readyState === WebSocket.OPEN) {
      this.ws.send(bytes);
      return;
    }
    if (this.disposed || this.status === 'closed') return;
    // Typed while reconnecting: keep a little, like type-ahead over a slow ssh link.
    if (this.typeaheadBytes + bytes.length <= TYPEAHEAD_MAX) {
      this.typeahead.push(bytes);
      this.typeaheadBytes += bytes.length;
    }
  }

  private sendJson(msg: ClientControl): boolean {
    if (!this.ready || this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }
}
