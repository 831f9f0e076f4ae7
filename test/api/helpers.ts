// Helpers for the server's API tests: a real `netdojo serve` child process, real HTTP, a real
// WebSocket terminal client (ws), and cleanup of every Docker object the tests' sessions made.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Docker from 'dockerode';
import WebSocket from 'ws';
import { serverScope } from '../../server/src/sessions/scope.js';
import { freePort } from '../../server/src/util/net.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const FIXTURE_LABS = join(ROOT, 'test/api/fixtures/labs');
export const docker = new Docker();


export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface Server {
  url: string;
  wsUrl: string;
  proc: ChildProcess;
  dataDir: string;
  log: () => string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
  rssKiB(): number;
}

export async function startServer(dataDir: string, args: string[] = []): Promise<Server> {
  const port = await freePort();
  const web = join(dataDir, 'web');
  mkdirSync(web, { recursive: true });
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>netdojo test ui</title>');
  let out = '';
  const proc = spawn(
    process.execPath,
    [join(ROOT, 'bin/netdojo.mjs'), 'serve', '--port', String(port), '--data', dataDir, '--labs', FIXTURE_LABS, '--web', web, '--log-level', 'warn',
      // suites create more sessions than the per-client default; attacks.test.ts sets its own cap
      ...(args.includes('--max-sessions-per-client') ? [] : ['--max-sessions-per-client', '0']), ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`server exited: ${out}`);
    try {
      const r = await fetch(`${url}/api/health`);
      if (r.ok) break;
    } catch {
      /* not up yet */
    }
    if (i > 1200) {
      // a server that never answered must not outlive the test (it would keep a warm pool running)
      proc.kill('SIGKILL');
      throw new Error(`server did not start: ${out}`); // the capability probe starts a container: slow on a loaded engine
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    wsUrl: `ws://127.0.0.1:${port}`,
    proc,
    dataDir,
    log: () => out,
    rssKiB: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1] ?? 0),
    async kill9() {
      proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

export async function api(server: Server, method: string, path: string, opts: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    headers['content-type'] ??= 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const r = await fetch(`${server.url}${path}`, { method, headers, body });
  const text = await r.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: r.status, json, text, headers: r.headers };
}

/** every session id a test created: removed from Docker in afterAll, whatever happened */
export const created = new Set<string>();

export async function createSession(server: Server, lab = 'srv-netns') {
  const r = await api(server, 'POST', '/api/sessions', { body: { lab } });
  if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.text}`);
  created.add(r.json.id);
  return r.json as { id: string; token: string; hosts: string[]; expiresAt: string; lab: string };
}

export async function dockerObjects(sessionId: string): Promise<string[]> {
  const filters = { label: [`netdojo.session=${sessionId}`] };
  const [cs, ns, vs] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return [...cs.map((c) => `container ${c.Names[0]}`), ...ns.map((n) => `network ${n.Name}`), ...(vs.Volumes ?? []).map((v) => `volume ${v.Name}`)];
}

export const removeSessionObjects = (sessionId: string) => removeLabelled(`netdojo.session=${sessionId}`);

async function removeLabelled(label: string): Promise<void> {
  const filters = { label: [label] };
  for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
  for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove().catch(() => {});
  for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) await docker.getVolume(v.Name).remove({ force: true }).catch(() => {});
}

export async function cleanup(servers: Array<Server | undefined>, dirs: string[]): Promise<void> {
  for (const s of servers) await s?.stop().catch(() => {});
  for (const id of created) await removeSessionObjects(id);
  // whatever a server made that no test created by name: pool sandboxes, restarts, and anything a
  // server that had to be killed (it did not drain within 10 s) left behind
  for (const s of servers) if (s) await removeLabelled(`netdojo.scope=${serverScope(s.dataDir)}`);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

export async function containerOf(sessionId: string, host = 'host') {
  const [c] = await docker.listContainers({ all: true, filters: { label: [`netdojo.session=${sessionId}`, `netdojo.host=${host}`] } });
  if (!c) throw new Error(`no container for ${sessionId}/${host}`);
  return docker.getContainer(c.Id);
}

/** runs a command in a session's container outside the terminal (for assertions) */
export async function sh(sessionId: string, script: string, host = 'host'): Promise<string> {
  const c = await containerOf(sessionId, host);
  const exec = await c.exec({ Cmd: ['bash', '-c', script], AttachStdout: true, AttachStderr: true, Tty: true });
  const stream = await exec.start({ Tty: true, hijack: true } as Docker.ExecStartOptions);
  const chunks: Buffer[] = [];
  for await (const ch of stream as unknown as AsyncIterable<Buffer>) chunks.push(ch);
  return Buffer.concat(chunks).toString();
}

export interface TermOptions {
  token: string;
  cols?: number;
  rows?: number;
  resumeFrom?: number | null;
  terminal?: string;
  /** acknowledge output as it arrives (a well-behaved client) */
  autoAck?: boolean;
}

/** A terminal client speaking the protocol of docs/dev/API.md. */
export class Term {
  ws!: WebSocket;
  output = Buffer.alloc(0);
  /** absolute offset of output[0] */
  base = 0;
  received = 0;
  ready: { type: string; offset: number; shell: string } | undefined;
  closed: { code: number; reason: string } | undefined;
  controls: Array<Record<string, unknown>> = [];
  keep = true;
  /** the last 8 KiB of output, kept even when `keep` is off */
  tail = '';
  private waiters: Array<() => void> = [];

  static async open(server: Server, sessionId: string, host: string, opts: TermOptions): Promise<Term> {
    const t = new Term();
    await t.connect(server, sessionId, host, opts);
    if (!t.ready) throw new Error(`terminal not ready: ${JSON.stringify(t.closed)}\nserver log:\n${server.log().slice(-3000)}`);
    return t;
  }

  /** connects and resolves when ready arrived or the socket closed */
  connect(server: Server, sessionId: string, host: string, opts: TermOptions): Promise<void> {
    this.ws = new WebSocket(`${server.wsUrl}/api/sessions/${sessionId}/terminals/${host}`);
    return new Promise((resolve) => {
      this.ws.on('open', () => {
        this.ws.send(JSON.stringify({ type: 'auth', token: opts.token, cols: opts.cols ?? 80, rows: opts.rows ?? 24, resumeFrom: opts.resumeFrom ?? null, ...(opts.terminal ? { terminal: opts.terminal } : {}) }));
      });
      this.ws.on('message', (data: Buffer, binary: boolean) => {
        if (binary) {
          this.received += data.length;
          if (this.keep) this.output = Buffer.concat([this.output, data]);
          this.tail = (this.tail + data.toString('latin1')).slice(-8192);
          if (opts.autoAck) this.ack();
        } else {
          const msg = JSON.parse(data.toString());
          this.controls.push(msg);
          if (msg.type === 'ready') {
            this.ready = msg;
            this.base = msg.offset;
            resolve();
          }
        }
        this.wake();
      });
      this.ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        this.wake();
        resolve();
      });
      this.ws.on('error', () => {});
    });
  }

  get offset(): number {
    return this.base + this.received;
  }

  ack(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: 'ack', offset: this.offset }));
  }

  text(): string {
    return this.output.toString('utf8');
  }

  type(s: string): void {
    this.ws.send(Buffer.from(s), { binary: true });
  }

  resize(cols: number, rows: number): void {
    this.ws.send(JSON.stringify({ type: 'resize', cols, rows }));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  async until(pred: () => boolean, what: string, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output tail: ${JSON.stringify(this.text().slice(-300))}; closed: ${JSON.stringify(this.closed)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  /** waits for `re` in the output after position `from` and returns the match */
  async expect(re: RegExp, from = 0, ms = 20_000): Promise<RegExpMatchArray> {
    let m: RegExpMatchArray | null = null;
    await this.until(() => (m = this.text().slice(from).match(re)) !== null, String(re), ms);
    return m!;
  }

  /** types a command and waits for a marker printed after it */
  async run(cmd: string, ms = 20_000): Promise<string> {
    const marker = `__done_${Math.random().toString(36).slice(2, 8)}__`;
    const from = this.text().length;
    this.type(`${cmd}; echo ${marker.slice(0, 3)}""${marker.slice(3)}\r`);
    await this.expect(new RegExp(`${marker}\\r?\\n`), from, ms);
    const seg = this.text().slice(from);
    return seg.slice(0, seg.indexOf(marker));
  }

  async waitClosed(ms = 10_000): Promise<{ code: number; reason: string }> {
    await this.until(() => this.closed !== undefined, 'the socket to close', ms);
    return this.closed!;
  }

  close(): void {
    this.ws.close();
  }
}

/** a raw socket for protocol-abuse tests */
/** The terminals a test file opens; its afterAll calls `end()` to drop every one still open. */
export class OpenTerminals extends Array<Term> {
  async open(...a: Parameters<typeof Term.open>): Promise<Term> {
    const t = await Term.open(...a);
    this.push(t);
    return t;
  }
  end(): void {
    for (const t of this) t.ws?.terminate();
  }
}

export function rawSocket(server: Server, path: string): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(`${server.wsUrl}${path}`);
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
  ws.on('error', () => {});
  return new Promise((ok) => {
    ws.once('open', () => ok({ ws, closed }));
    ws.once('unexpected-response', (_req, res) => {
      ok({ ws, closed: Promise.resolve({ code: res.statusCode ?? 0, reason: 'http' }) });
    });
  });
}

/** polls `fn` until it returns true */
export async function eventually(fn: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export const gone = (sessionId: string) => eventually(async () => (await dockerObjects(sessionId)).length === 0, `the sandbox of ${sessionId} to be removed`);
