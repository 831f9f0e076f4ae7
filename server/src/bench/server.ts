// A `netdojo serve` child process on loopback for the benchmark, and a terminal client that speaks
// the protocol of docs/dev/API.md. The server is a separate process so that its RSS is its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { freePort } from '../util/net.js';

export const ROOT = resolve(import.meta.dirname, '../../..');


export interface BenchServer {
  url: string;
  wsUrl: string;
  pid: number;
  dataDir: string;
  rssKiB(): number;
  log(): string;
  stop(): Promise<void>;
}

export async function startServer(opts: { dataDir: string; labs: string[]; scope: string; args?: string[] }): Promise<BenchServer> {
  mkdirSync(opts.dataDir, { recursive: true });
  const port = await freePort();
  let out = '';
  const proc: ChildProcess = spawn(
    process.execPath,
    [
      join(ROOT, 'bin/netdojo.mjs'), 'serve', '--port', String(port), '--host', '127.0.0.1', '--data', opts.dataDir,
      '--labs', ...opts.labs, '--web', join(opts.dataDir, 'no-web'), '--rate', '0', '--max-sessions', '500', '--max-sessions-per-client', '0', '--log-level', 'warn',
      ...(opts.args ?? []),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NETDOJO_SCOPE: opts.scope } },
  );
  proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`the server exited: ${out.slice(-2000)}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (i > 1200) throw new Error(`the server did not start within 120 s: ${out.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}`,
    pid: proc.pid!,
    dataDir: opts.dataDir,
    rssKiB: () => {
      try {
        return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1] ?? 0);
      } catch {
        return 0;
      }
    },
    log: () => out,
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 120_000);
      await exited;
      clearTimeout(t);
    },
  };
}

export async function api<T = any>(server: BenchServer, method: string, path: string, opts: { token?: string; body?: unknown } = {}): Promise<{ status: number; json: T }> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${server.url}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await r.text();
  return { status: r.status, json: (text ? JSON.parse(text) : undefined) as T };
}

export interface Session {
  id: string;
  token: string;
  hosts: string[];
}

export async function createSession(server: BenchServer, lab: string): Promise<Session> {
  const r = await api<Session & { message?: string }>(server, 'POST', '/api/sessions', { body: { lab } });
  if (r.status !== 201) throw new Error(`creating a ${lab} session failed: ${r.status} ${r.json?.message ?? ''}`);
  return r.json;
}

export async function endSession(server: BenchServer, s: Session): Promise<void> {
  const r = await api(server, 'DELETE', `/api/sessions/${s.id}`, { token: s.token });
  if (r.status !== 204) throw new Error(`ending session ${s.id} failed: ${r.status}`);
}

/** A terminal client: acks what it receives (a well-behaved browser), counts bytes, keeps a tail. */
export class TermClient {
  ws: WebSocket;
  received = 0;
  tail = '';
  private listeners = new Set<(chunk: Buffer) => void>();
  private opened: Promise<void>;
  closed = false;

  constructor(server: BenchServer, s: Session, host: string, onFirstByte?: () => void) {
    this.ws = new WebSocket(`${server.wsUrl}/api/sessions/${s.id}/terminals/${host}`);
    this.ws.on('error', () => {});
    let first = true;
    this.opened = new Promise((ok, fail) => {
      this.ws.once('open', () => this.ws.send(JSON.stringify({ type: 'auth', token: s.token, cols: 120, rows: 40, resumeFrom: null })));
      this.ws.on('message', (data: Buffer, binary: boolean) => {
        if (!binary) {
          const msg = JSON.parse(data.toString()) as { type: string };
          if (msg.type === 'ready') ok();
          return;
        }
        if (first) {
          first = false;
          onFirstByte?.();
        }
        this.received += data.length;
        this.tail = (this.tail + data.toString('latin1')).slice(-4096);
        // ack from time to time, as xterm.js's write callback would
        if (this.received - this.acked >= 64 * 1024 || data.length < 64 * 1024) this.ack();
        for (const l of this.listeners) l(data);
      });
      this.ws.once('close', (code, reason) => {
        this.closed = true;
        fail(new Error(`terminal closed: ${code} ${reason.toString()}`));
      });
    });
  }

  private acked = 0;
  private ack(): void {
    this.acked = this.received;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'ack', offset: this.received }));
  }

  ready(): Promise<void> {
    return this.opened;
  }

  onData(fn: (chunk: Buffer) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  type(s: string): void {
    this.ws.send(Buffer.from(s), { binary: true });
  }

  /** resolves when `re` matches the recent output (checked on every chunk) */
  waitFor(re: RegExp, ms = 60_000): Promise<void> {
    if (re.test(this.tail)) return Promise.resolve();
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => {
        off();
        fail(new Error(`terminal output never matched ${re}; tail: ${JSON.stringify(this.tail.slice(-300))}`));
      }, ms);
      const off = this.onData(() => {
        if (re.test(this.tail)) {
          clearTimeout(timer);
          off();
          ok();
        }
      });
    });
  }

  close(): void {
    this.ws.close();
  }
}
