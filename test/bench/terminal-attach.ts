// Measures the two ways of attaching a browser terminal to a sandbox shell:
//   A) dockerode exec with a TTY (one hijacked HTTP connection to the engine per terminal)
//   B) node-pty around `docker exec -it` (one docker CLI process per terminal)
// Reports server-side memory per open terminal and keystroke echo latency. The two are measured
// interleaved (terminals opened in alternating rounds, echo samples alternating keystroke by
// keystroke), so that the noise of a shared machine hits both alike.
// Run: npx tsx test/bench/terminal-attach.ts   (needs Docker and the debian:bookworm-slim image)
import Docker from 'dockerode';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import { pct } from '../../server/src/bench/stats.js';

const N = Number(process.env.N ?? 20);
const SAMPLES = Number(process.env.SAMPLES ?? 300);
const docker = new Docker();

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 300));
  }
}

interface Term {
  write(s: string): void;
  onData(cb: (d: string) => void): void;
  close(): void;
  childPid?: number;
  /** the echo sample waiting for its byte */
  pending?: ((d: string) => void) | null;
}

async function dockerodeTerm(id: string): Promise<Term> {
  const c = docker.getContainer(id);
  const exec = await c.exec({ Cmd: ['bash', '--norc', '-i'], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true, Env: ['PS1=$ '] });
  const stream = (await exec.start({ hijack: true, stdin: true, Tty: true } as Docker.ExecStartOptions)) as unknown as Duplex;
  const listeners: Array<(d: string) => void> = [];
  stream.on('data', (b: Buffer) => listeners.forEach((l) => l(b.toString('latin1'))));
  return {
    write: (s) => stream.write(s),
    onData: (cb) => listeners.push(cb),
    close: () => {
      stream.write('exit\n');
      stream.destroy();
    },
  };
}

async function ptyTerm(id: string): Promise<Term> {
  const pty = await import('node-pty');
  const p = pty.spawn('docker', ['exec', '-it', '-e', 'PS1=$ ', id, 'bash', '--norc', '-i'], { cols: 80, rows: 24, name: 'xterm' });
  return { write: (s) => p.write(s), onData: (cb) => void p.onData(cb), close: () => p.kill(), childPid: p.pid };
}

async function waitFor(t: Term, marker: string, ms = 10_000): Promise<void> {
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout waiting for ${marker}`)), ms);
    t.onData((d) => {
      buf += d;
      if (buf.includes(marker)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** one keystroke → its echo, in ms */
async function echoOnce(t: Term, ch: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    t.pending = (d) => {
      if (d.includes(ch)) {
        t.pending = null;
        resolve();
      }
    };
    t.write(ch);
  });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

interface Mechanism {
  name: string;
  open: (id: string) => Promise<Term>;
  terms: Term[];
  rssKiB: number;
  jsBytes: number;
  echo: number[];
}

/** opens `count` terminals of one mechanism and books the server's growth to it */
async function openRound(m: Mechanism, id: string, count: number): Promise<void> {
  await settle();
  const rss0 = rssKiB(process.pid);
  const heap0 = process.memoryUsage();
  for (let i = 0; i < count; i++) {
    const t = await m.open(id);
    const ready = waitFor(t, `ready-${m.terms.length}`);
    t.write(`echo ready-$((${m.terms.length}))\n`);
    await ready;
    m.terms.push(t);
  }
  await settle();
  const heap1 = process.memoryUsage();
  m.rssKiB += rssKiB(process.pid) - rss0;
  m.jsBytes += heap1.heapUsed + heap1.external - heap0.heapUsed - heap0.external;
}

function report(m: Mechanism) {
  const n = m.terms.length;
  const child = m.terms.reduce((s, t) => s + (t.childPid ? rssKiB(t.childPid) : 0), 0) / n;
  return {
    name: m.name,
    serverRssKiBPerTerminal: Math.round(m.rssKiB / n),
    serverHeapKiBPerTerminal: Math.round(m.jsBytes / 1024 / n),
    helperProcessKiBPerTerminal: Math.round(child),
    totalKiBPerTerminal: Math.round(m.rssKiB / n + child),
    echoP50ms: +pct(m.echo, 50).toFixed(3),
    echoP99ms: +pct(m.echo, 99).toFixed(3),
  };
}

async function measure(mechanisms: Mechanism[], id: string) {
  const ROUNDS = 5;
  for (let r = 0; r < ROUNDS; r++) {
    const count = Math.floor(N / ROUNDS) + (r < N % ROUNDS ? 1 : 0);
    const order = r % 2 === 0 ? mechanisms : [...mechanisms].reverse();
    for (const m of order) await openRound(m, id, count);
  }
  for (const m of mechanisms) m.terms[0]!.onData((d) => m.terms[0]!.pending?.(d));
  for (let i = 0; i < SAMPLES; i++) {
    const ch = String.fromCharCode(97 + (i % 26));
    const order = i % 2 === 0 ? mechanisms : [...mechanisms].reverse();
    for (const m of order) m.echo.push(await echoOnce(m.terms[0]!, ch));
  }
  for (const m of mechanisms) {
    m.terms[0]!.write('\x15'); // ^U clears the typed line
    for (const t of m.terms) t.close();
  }
  return mechanisms.map(report);
}

const name = `netdojo-bench-terminal-${process.pid}`;
const container = await docker.createContainer({
  Image: process.env.IMAGE ?? 'debian:bookworm-slim',
  name,
  Cmd: ['sleep', 'infinity'],
  Labels: { 'netdojo.bench': 'terminal' },
  HostConfig: { AutoRemove: false, NetworkMode: 'none' },
});
try {
  await container.start();
  // warm up both paths once so lazy module loading is not counted as per-terminal memory
  for (let i = 0; i < 5; i++) {
    (await dockerodeTerm(container.id)).close();
    (await ptyTerm(container.id)).close();
  }
  const mechanism = (name: string, open: (id: string) => Promise<Term>): Mechanism => ({ name, open, terms: [], rssKiB: 0, jsBytes: 0, echo: [] });
  const results = await measure([mechanism('dockerode exec (Tty, hijack)', dockerodeTerm), mechanism('node-pty + docker exec -it', ptyTerm)], container.id);
  console.log(JSON.stringify({ terminals: N, samples: SAMPLES, interleaved: true, results }, null, 2));
} finally {
  await container.remove({ force: true });
  execFileSync('true');
}
process.exit(0);
